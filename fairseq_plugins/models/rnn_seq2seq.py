"""One configurable RNN encoder-decoder, and the classic systems as named architectures.

``--arch rnn_seq2seq`` is the configurable model; each named architecture is a preset of
its options that reproduces one reference system:

=================  ===========================================================
``rnn_sutskever``  Sutskever et al. 2014: 2-layer LSTM, no attention, every encoder
                   layer's final (h, c) initialises its decoder layer; use with
                   ``preprocess --reverse-source``
``rnn_cho``        Cho et al. 2014: GRU; the encoder's context vector enters every
                   decoder step and, with the embedded input, the output layer
``rnn_bahdanau``   Bahdanau et al. 2015: bidirectional GRU encoder, decoder state
                   initialised with tanh(W [h_fwd; h_bwd]), additive attention
``rnn_luong``      Luong et al. 2015: bidirectional LSTM, "general" attention,
                   input feeding
``rnn_gec``        the batched GEC example: 2-layer bidirectional LSTM of 512, general
                   attention, shared and tied 300-d embeddings, frozen
=================  ===========================================================

Options left unset (None) take the architecture's value, so any preset can be
overridden on the command line (``--arch rnn_luong --input-feeding 0``) or in a hydra
config (``model: {_name: rnn_luong, input_feeding: 0}``). Yes/no options are integers
0/1 rather than flags so that a preset's "yes" can be overridden with 0.
"""
import logging
from dataclasses import dataclass, field
from typing import Optional

from fairseq.dataclass import ChoiceEnum, FairseqDataclass
from fairseq.models import (
    FairseqEncoderDecoderModel,
    register_model,
    register_model_architecture,
)
from omegaconf import open_dict
from torch import nn

from fairseq_plugins.errors import ModelOptionError
from fairseq_plugins.models.attention import ATTENTION_CHOICES, Attention
from fairseq_plugins.models.bridges import BRIDGE_CHOICES
from fairseq_plugins.models.embeddings import build_embedding
from fairseq_plugins.models.rnn_decoder import RNNDecoder
from fairseq_plugins.models.rnn_encoder import RNNEncoder

logger = logging.getLogger(__name__)

MODEL_NAME = "rnn_seq2seq"


def _opt(help_text: str, default=None, **kw):
    return field(default=default, metadata={"help": help_text, **kw})


@dataclass
class RNNSeq2SeqConfig(FairseqDataclass):
    cell: Optional[ChoiceEnum(["lstm", "gru"])] = _opt("recurrent cell: lstm or gru")
    encoder_embed_dim: Optional[int] = _opt("encoder embedding size")
    encoder_hidden_size: Optional[int] = _opt("encoder hidden size (per direction)")
    encoder_layers: Optional[int] = _opt("number of encoder layers")
    encoder_bidirectional: Optional[int] = _opt("1: bidirectional encoder, 0: unidirectional")
    decoder_embed_dim: Optional[int] = _opt(
        "decoder embedding size (default: the encoder's, unless the architecture sets it)")
    decoder_hidden_size: Optional[int] = _opt(
        "decoder hidden size (default: the encoder hidden size, times 2 for a bidirectional "
        "encoder with --bridge concat, unless the architecture sets it)")
    decoder_layers: Optional[int] = _opt(
        "number of decoder layers (default: the encoder's, unless the architecture sets it)")
    bridge: Optional[ChoiceEnum(list(BRIDGE_CHOICES))] = _opt(
        "encoder final states -> decoder initial state: zero, concat, sum, linear, tanh-linear")
    attention: Optional[ChoiceEnum(list(ATTENTION_CHOICES))] = _opt(
        "attention: none, dot, general (Luong) or additive (Bahdanau)")
    attention_dim: Optional[int] = _opt("additive attention size (default: decoder hidden size)")
    input_feeding: Optional[int] = _opt(
        "1: feed the previous attentional vector to the decoder (Luong); dot/general only")
    copy_attention: Optional[int] = _opt(
        "1: copy attention, the pointer-generator of See et al. 2017: a learned gate mixes "
        "the output distribution with the attention over the source tokens; needs "
        "attention and one dictionary for source and target (--joined-dictionary)")
    coverage: Optional[int] = _opt(
        "1: coverage (See et al. 2017): the sum of past attention is an input of the "
        "attention, and the coverage loss (--coverage-loss-weight) is added to the "
        "criterion's loss in training; needs attention")
    coverage_loss_weight: Optional[float] = _opt(
        "with --coverage 1: weight of See et al.'s coverage loss sum_t sum_i min(a_ti, c_ti) "
        "(summed over target tokens, as the criterion's loss; 0: none)")
    context_every_step: Optional[int] = _opt(
        "1: feed the encoder's final state to every decoder step and the output (Cho)")
    dropout: Optional[float] = _opt("dropout on embeddings, between layers and on outputs")
    share_all_embeddings: Optional[int] = _opt(
        "1: one embedding for source, target and output (needs --joined-dictionary)")
    share_decoder_input_output_embed: Optional[int] = _opt(
        "1: tie decoder input and output embeddings (a projection is added if sizes differ)")
    encoder_embed_path: Optional[str] = _opt("GloVe/word2vec text file for encoder embeddings")
    decoder_embed_path: Optional[str] = _opt("GloVe/word2vec text file for decoder embeddings")
    freeze_embeddings: Optional[int] = _opt(
        "1: keep embeddings fixed (see --unfreeze-embeddings-after)")
    unfreeze_embeddings_after: Optional[int] = _opt(
        "unfreeze frozen embeddings from this update on (0: never)")
    teacher_forcing_ratio: Optional[float] = _opt(
        "probability of feeding the gold previous token in training; below 1 the model's "
        "own previous prediction is fed otherwise (scheduled sampling)")
    cpu_bf16: Optional[int] = _opt(
        "1: run encoder and decoder under bf16 autocast on CPU (for CPUs with AMX; "
        "scripts/cpu_bf16_pays.py measures whether it pays; log-softmax and loss stay "
        "fp32); on a GPU use fairseq's --amp or --fp16")
    init_scale: Optional[float] = _opt(
        "draw every RNN and linear weight and bias from U(-s, s), as fairseq's lstm and "
        "Luong et al. 2015 (0.1) or Sutskever et al. 2014 (0.08); 0 keeps PyTorch's "
        "defaults (U(+-1/sqrt(fan-in)), which learn far slower here). Embeddings keep "
        "U(-0.1, 0.1) or their pretrained vectors")
    max_source_positions: int = _opt("max source length", default=1024)
    max_target_positions: int = _opt("max target length", default=1024)


# The values every architecture starts from; presets override some of them.
BASE_DEFAULTS = dict(
    cell="lstm", encoder_embed_dim=256, encoder_hidden_size=256, encoder_layers=1,
    encoder_bidirectional=0, decoder_embed_dim=None, decoder_hidden_size=None,
    decoder_layers=None, bridge="linear", attention="general", attention_dim=None,
    input_feeding=0, context_every_step=0, dropout=0.2, share_all_embeddings=0,
    share_decoder_input_output_embed=0, encoder_embed_path=None, decoder_embed_path=None,
    freeze_embeddings=0, unfreeze_embeddings_after=0, teacher_forcing_ratio=1.0,
    cpu_bf16=0, init_scale=0.1, copy_attention=0, coverage=0, coverage_loss_weight=1.0,
)

PRESETS = {
    MODEL_NAME: {},
    "rnn_sutskever": dict(
        cell="lstm", encoder_layers=2, decoder_layers=2, encoder_bidirectional=0,
        bridge="concat", attention="none", input_feeding=0, init_scale=0.08),
    "rnn_cho": dict(
        cell="gru", encoder_layers=1, decoder_layers=1, encoder_bidirectional=0,
        bridge="concat", attention="none", context_every_step=1),
    "rnn_bahdanau": dict(
        cell="gru", encoder_layers=1, decoder_layers=1, encoder_bidirectional=1,
        bridge="tanh-linear", attention="additive", input_feeding=0),
    "rnn_luong": dict(
        cell="lstm", encoder_bidirectional=1, bridge="linear", attention="general",
        input_feeding=1),
    "rnn_gec": dict(
        cell="lstm", encoder_layers=2, decoder_layers=2, encoder_bidirectional=1,
        encoder_embed_dim=300, encoder_hidden_size=512, decoder_hidden_size=512,
        bridge="sum", attention="general", input_feeding=0, share_all_embeddings=1,
        share_decoder_input_output_embed=1, freeze_embeddings=1),
}


def fill_architecture(cfg, preset: dict):
    """Fill options still None from the preset, then from the base defaults."""
    with open_dict(cfg) if hasattr(cfg, "_metadata") else _nullcontext():
        for key, value in list(preset.items()) + list(BASE_DEFAULTS.items()):
            if getattr(cfg, key, None) is None:
                setattr(cfg, key, value)
        # decoder sizes follow the encoder's unless given
        if cfg.decoder_embed_dim is None:
            cfg.decoder_embed_dim = cfg.encoder_embed_dim
        if cfg.decoder_layers is None:
            cfg.decoder_layers = cfg.encoder_layers
        if cfg.decoder_hidden_size is None:
            directions = 2 if cfg.encoder_bidirectional else 1
            concat = cfg.bridge == "concat"
            cfg.decoder_hidden_size = cfg.encoder_hidden_size * (directions if concat else 1)
        for key in ("max_source_positions", "max_target_positions"):
            if getattr(cfg, key, None) is None:
                setattr(cfg, key, 1024)
    return cfg


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@register_model(MODEL_NAME, dataclass=RNNSeq2SeqConfig)
class RNNSeq2SeqModel(FairseqEncoderDecoderModel):
    def __init__(self, cfg, encoder, decoder):
        super().__init__(encoder, decoder)
        self.cfg = cfg
        # the distinct embedding tables (one when source and target share it)
        unique = {id(e): e for e in (encoder.embed_tokens, decoder.embed_tokens)}
        self.embeddings = list(unique.values())
        self._set_frozen(bool(cfg.freeze_embeddings))

    @classmethod
    def build_model(cls, cfg, task):
        arch = getattr(cfg, "arch", None) or getattr(cfg, "_name", None)
        fill_architecture(cfg, PRESETS.get(arch, {}))
        _check_config(cfg)
        src_dict, tgt_dict = task.source_dictionary, task.target_dictionary
        if cfg.copy_attention and not joined(src_dict, tgt_dict):
            raise ModelOptionError(
                "--copy-attention 1 needs one dictionary for source and target (a copied "
                "source token is output as the target token of the same id): preprocess with "
                "--joined-dictionary (python -m preprocess.prepare ... --joint "
                "--joined-dictionary)")
        encoder_embed = build_embedding(src_dict, cfg.encoder_embed_dim, cfg.encoder_embed_path)
        if cfg.share_all_embeddings:
            if not joined(src_dict, tgt_dict):
                raise ModelOptionError("--share-all-embeddings needs a joined dictionary "
                                       "(preprocess with --joined-dictionary)")
            if cfg.decoder_embed_dim != cfg.encoder_embed_dim:
                raise ModelOptionError("--share-all-embeddings needs --encoder-embed-dim == "
                                       "--decoder-embed-dim")
            decoder_embed = encoder_embed
        else:
            decoder_embed = build_embedding(tgt_dict, cfg.decoder_embed_dim, cfg.decoder_embed_path)
        directions = 2 if cfg.encoder_bidirectional else 1
        encoder = RNNEncoder(src_dict, encoder_embed, cfg.cell, cfg.encoder_hidden_size,
                             cfg.encoder_layers, bool(cfg.encoder_bidirectional), cfg.dropout,
                             bool(cfg.cpu_bf16))
        decoder = RNNDecoder(tgt_dict, decoder_embed, encoder.output_dim, cfg.encoder_hidden_size,
                             directions, cfg)
        if cfg.init_scale > 0:
            uniform_init_([encoder, decoder], cfg.init_scale)
        return cls(cfg, encoder, decoder)

    def _set_frozen(self, frozen: bool):
        for emb in self.embeddings:
            emb.frozen = frozen

    def set_num_updates(self, num_updates):
        """fairseq calls this every update: unfreeze embeddings once the time has come."""
        super().set_num_updates(num_updates)
        after = self.cfg.unfreeze_embeddings_after or 0
        if self.cfg.freeze_embeddings and after > 0:
            frozen = num_updates < after
            if self.embeddings[0].frozen and not frozen:
                logger.info("unfreezing embeddings at update %d", num_updates)
            self._set_frozen(frozen)

    @property
    def ddp_find_unused_parameters(self) -> bool:
        """Frozen embeddings are detached (no gradient), which DDP must be told to expect;
        read by :mod:`fairseq_plugins.distributed.ddp`."""
        return bool(self.cfg.freeze_embeddings)

    def max_positions(self):
        return (self.cfg.max_source_positions, self.cfg.max_target_positions)


def uniform_init_(modules, scale: float):
    """Every RNN and linear parameter (and coverage's w_c) ~ U(-scale, scale); embeddings
    are left alone.

    PyTorch's defaults scale by 1/sqrt(fan-in) (U(+-0.044) for a 512-unit LSTM, smaller
    for the 1024-input combine layer), and learn far slower: Multi30k de-en, 1,010
    updates of 4,000 tokens at scripts/benchmark.py's sizes (one GPU run, one seed),
    test2016 BLEU with PyTorch's defaults / U(-0.1, 0.1): rnn_luong --input-feeding 0
    10.1 / 38.2, --input-feeding 1 18.7 / 38.0; fairseq's lstm (U(-0.1, 0.1)) 37.2.
    """
    for root in modules:
        for module in root.modules():
            if isinstance(module, (nn.RNNBase, nn.Linear, Attention)):  # Attention: w_c
                for param in module.parameters(recurse=False):
                    nn.init.uniform_(param, -scale, scale)


def joined(src_dict, tgt_dict) -> bool:
    """Whether source and target share one dictionary (the same symbols in the same order)."""
    return src_dict is tgt_dict or src_dict.symbols == tgt_dict.symbols


def _check_config(cfg):
    for option in ("copy_attention", "coverage"):
        if getattr(cfg, option) and cfg.attention == "none":
            raise ModelOptionError(
                f"--{option.replace('_', '-')} 1 needs attention, and this model has none "
                f"(--attention none); use --attention general, dot or additive")
    if cfg.coverage_loss_weight < 0:
        raise ModelOptionError(f"--coverage-loss-weight must be >= 0, "
                               f"got {cfg.coverage_loss_weight}")
    if cfg.context_every_step and cfg.attention != "none":
        raise ModelOptionError("--context-every-step (Cho et al.) is for --attention none; "
                               "with attention the context vector comes from the attention")
    if cfg.input_feeding and cfg.attention not in ("dot", "general"):
        logger.warning("--input-feeding applies to dot/general attention only; ignored with "
                       "--attention %s", cfg.attention)
    if cfg.init_scale < 0:
        raise ModelOptionError(f"--init-scale must be >= 0 (0: PyTorch's defaults), "
                               f"got {cfg.init_scale}")
    if not 0.0 <= cfg.teacher_forcing_ratio <= 1.0:
        raise ModelOptionError(f"--teacher-forcing-ratio must be in [0, 1], "
                               f"got {cfg.teacher_forcing_ratio}")


def _register(name: str):
    @register_model_architecture(MODEL_NAME, name)
    def arch(cfg):
        fill_architecture(cfg, PRESETS[name])

    arch.__name__ = name
    return arch


for _name in PRESETS:
    if _name != MODEL_NAME:  # register_model already made the model's own name an arch
        _register(_name)
