"""The plugin's generator: one hook on ``FairseqTask.build_generator``, and the shortlist's
generator class.

Every task's ``build_generator`` (translation's, gec's, in ``fairseq-generate``,
``fairseq-interactive`` and the gec task's validation) runs :data:`HOOKS` in this order,
each ``hook(task, models, args, seq_gen_cls, extra_gen_cls_kwargs) -> (seq_gen_cls,
extra_gen_cls_kwargs)``, then fairseq's own ``build_generator``:

1. :func:`fairseq_plugins.lm_fusion.generator_hook`: ``--lm-path`` in fairseq-interactive
   (which parses it and decodes without it), and the LM's dictionary check;
2. :func:`fairseq_plugins.decoding.penalty.coverage_penalty_hook`: ``--coverage-penalty``
   in every plugin decoder's :class:`~fairseq_plugins.models.rnn_decoder.Decoding` of the
   generator's :class:`~.search.SearchPlan`;
3. :func:`fast_decoding_hook`: ``--fast-decoding``: one encoder row a sentence and each
   decoder's step layers, in the plan, and for a shortlist mode the generator class
   (``seq_gen_cls``) :class:`ShortlistSearch` over fairseq's own: it sets each batch's
   list, maps list positions back to target ids and scores what the search returns over
   the whole vocabulary (:func:`rescore`). An ``*-rnn-beam`` mode's class is
   :class:`~fairseq_plugins.decoding.rnn_beam.RNNBeamSearch`, its layers in the plan too
   (the shortlist's wraps it for ``*shortlist-rnn-beam``).

Under ``--print-alignment`` the plan asks the steps for their attention. A plan that is not
fairseq's default then mixes :class:`~.search.PluginSearch` into the
generator class (:mod:`.search`): the plan travels with the generator, the models are
never changed.

LM fusion comes first so that the shortlist's generator sees the LM it was given (its
scores are over the whole vocabulary: then the search runs over V, the tokens outside the
list at -inf).
"""
import logging
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from fairseq.sequence_generator import SequenceGeneratorWithAlignment
from fairseq.tasks import FairseqTask
from torch import Tensor

from fairseq_plugins import lm_fusion
from fairseq_plugins.decoding import beam_layout, rnn_beam, search
from fairseq_plugins.decoding.int8 import int8_layers, output_linear, output_weight
from fairseq_plugins.decoding.options import (MODES, FastDecodingError, is_plugin_rnn,
                                              not_plugin_rnn, split_mode)
from fairseq_plugins.decoding.penalty import coverage_penalty_hook
from fairseq_plugins.decoding.shortlist import Shortlist, build_shortlist, list_output
from fairseq_plugins.models.rnn_decoder import Decoding, StepLayers

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- set-up
class DecoderLayers:
    """One decoder's step layers under a fast mode (:attr:`layers`), and those of a
    per-batch list (:meth:`for_list`). Nothing of the decoder is changed."""

    def __init__(self, decoder, mode: str):
        self.int8 = mode.startswith("int8")
        if self.int8:
            linear = output_linear(decoder)   # fp32 V x F (a copy when tied)
            self.layers = int8_layers(decoder, linear)
            self.weight, self.bias = linear.weight, linear.bias
        else:
            self.layers = decoder.own_layers()
            self.weight, self.bias = output_weight(decoder)

    def for_list(self, ids: Tensor, positions: bool = False) -> StepLayers:
        """The layers with the output layer over ``ids`` (sorted target ids); with
        ``positions`` the search's tokens are positions in the list."""
        output = list_output(ids, self.weight, self.bias,
                             self.layers.output if self.int8 else None)
        return self.layers._replace(output=output, output_ids=ids, positions=positions)


def _check(models, mode: str):
    if mode not in MODES:
        raise FastDecodingError(f"--fast-decoding {mode}: choose one of {', '.join(MODES)}")
    for model in models:
        if not is_plugin_rnn(model):
            raise not_plugin_rnn(f"--fast-decoding {mode}", model)
        device = next(model.parameters()).device
        if mode.startswith("int8") and device.type != "cpu":
            raise FastDecodingError(
                f"--fast-decoding {mode}: int8 runs on a CPU only and the model is on "
                f"{device.type}; add --cpu, or use --fast-decoding shortlist")
        if mode.startswith("int8") and model.decoder.cpu_bf16:
            raise FastDecodingError(
                f"--fast-decoding {mode} with a --cpu-bf16 1 model: load it with cpu_bf16 0 "
                "(int8 replaces bf16): --model-overrides \"{'cpu_bf16': 0}\" in fairseq's "
                "CLIs, load(..., cpu_bf16=0) in the API, --model-option cpu_bf16=0 to serve")
    if mode.endswith("shortlist") and len(models) > 1:
        raise FastDecodingError(f"--fast-decoding {mode} takes one model, not an ensemble "
                                f"of {len(models)} (use int8)")


def prepare(models, args, task) -> Optional[List[DecoderLayers]]:
    """The step layers of ``--fast-decoding`` for every model of the ensemble (checked);
    None for ``none``. The models are not changed."""
    mode, _ = split_mode(getattr(args, "fast_decoding", None) or "none")
    if mode == "none":
        return None
    _check(models, mode)
    return [DecoderLayers(model.decoder, mode) for model in models]


def fast_decoding_hook(task, models, args, seq_gen_cls, extra):
    """The build_generator hook of ``--fast-decoding`` (see the module's docstring)."""
    layers = prepare(models, args, task)
    if layers is None:
        return seq_gen_cls, extra
    mode, own_search = split_mode(args.fast_decoding)
    if own_search:
        rnn_beam.check(args, args.fast_decoding)
    extra[search.PLAN] = search.plan_of(extra, models)._replace(by_sentence=True).with_decodings(
        lambda i, d: d._replace(layers=layers[i].layers))
    copies = any(model.decoder.copy for model in models)
    shortlist = build_shortlist(args, task, mode, copies) if mode.endswith("shortlist") else None
    logger.info("--fast-decoding %s%s", args.fast_decoding, "" if shortlist is None else
                f" (list: {len(shortlist.always)} frequent and special tokens"
                + (", the lexical table" if shortlist.lookup is not None else "")
                + (", the source tokens" if shortlist.include_source else "") + ")")
    if getattr(args, "score_reference", False):
        return seq_gen_cls, extra   # the layers alone (a scorer runs the whole model)
    if own_search:
        if seq_gen_cls is not None:
            raise FastDecodingError(f"--fast-decoding {args.fast_decoding} runs its own "
                                    f"search, not {seq_gen_cls.__name__}; use a mode without "
                                    "rnn-beam")
        seq_gen_cls = rnn_beam.RNNBeamSearch
        extra["rnn_beam"] = rnn_beam.RNNBeamOptions(args.fast_decoding)
    if shortlist is None:
        return seq_gen_cls, extra
    if seq_gen_cls is None:
        seq_gen_cls = search.default_class(args, extra)
    extra["fast_decoding"] = _Fast(shortlist, layers, args)
    return _shortlist_class(seq_gen_cls), extra


# --------------------------------------------------------------------------- the shortlist's search
class _Fast:
    """What a shortlist generator needs: the list, the decoders' layers, nbest and lenpen."""

    def __init__(self, shortlist: Shortlist, layers: List[DecoderLayers], args):
        self.shortlist, self.layers = shortlist, layers
        self.nbest = int(getattr(args, "nbest", 1) or 1)
        lenpen = getattr(args, "lenpen", None)
        self.lenpen = float(lenpen if lenpen is not None else 1.0)


class ShortlistSearch(search.PluginSearch):
    """Mixed into fairseq's generator class: each batch's list, and the rescoring (see the
    module's docstring). Everything else is fairseq's."""

    def __init__(self, models, tgt_dict, fast_decoding: _Fast, **kwargs):
        self.fast = fast_decoding
        super().__init__(models, tgt_dict, **kwargs)

    @property
    def shortlist(self) -> Shortlist:
        return self.fast.shortlist

    @torch.no_grad()
    def generate(self, models, sample, **kwargs):
        if kwargs.get("constraints") is not None:
            raise FastDecodingError("--fast-decoding with a shortlist does not take "
                                    "--constraints")
        src = sample["net_input"]["src_tokens"]
        prefix = kwargs.get("prefix_tokens")
        ids = self.fast.shortlist.select(src, prefix)
        list_space = self.searches_the_list()
        # this batch's plan: each decoder's layers over the list
        self.model.plan = self.plan.with_decodings(
            lambda i, d: d._replace(layers=self.fast.layers[i].for_list(ids, list_space)))
        vocab_size = self.vocab_size
        self.model.last_encoder_outs = None
        try:
            if list_space:
                # fairseq's search over list positions: its log-softmax, top-k and buffers
                # are K wide instead of V (specials keep their ids: bos, pad, eos, unk)
                self.vocab_size = len(ids)
                if prefix is not None:
                    kwargs["prefix_tokens"] = torch.searchsorted(ids.to(prefix.device), prefix)
            hypos = super().generate(models, sample, **kwargs)
        finally:
            self.vocab_size = vocab_size
            self.model.plan = self.plan
        if list_space:
            for sent in hypos:
                for hyp in sent:
                    hyp["tokens"] = ids.to(hyp["tokens"].device)[hyp["tokens"]]
        model = self.model.models[0]
        kept = self.model.last_encoder_outs
        encoder_out = (kept[0] if kept else
                       model.encoder.forward(src, sample["net_input"]["src_lengths"]))
        self.model.last_encoder_outs = None
        rescore(model.decoder, self.plan.decodings[0], hypos, self.fast.nbest,
                self.fast.lenpen, encoder_out)
        return hypos

    def searches_the_list(self) -> bool:
        """Whether fairseq's search can run over list positions: its plain
        SequenceGenerator, without a language model (whose scores are over V) or the
        alignment generator of --print-alignment (which feeds the tokens to the model);
        the others search the whole vocabulary, the tokens outside the list at -inf."""
        return (not isinstance(self, SequenceGeneratorWithAlignment)
                and getattr(self, "lm_model", None) is None)


_SHORTLIST_CLASSES: Dict[type, type] = {}


def _shortlist_class(base: type) -> type:
    if base not in _SHORTLIST_CLASSES:
        _SHORTLIST_CLASSES[base] = type(f"Shortlist{base.__name__}", (ShortlistSearch, base), {})
    return _SHORTLIST_CLASSES[base]


@torch.no_grad()
def rescore(decoder, decoding: Decoding, hypos: List[List[dict]], nbest: int, lenpen: float,
            encoder_out) -> None:
    """Score each sentence's first ``nbest`` hypotheses over the whole vocabulary with the
    decoder's step as ``decoding`` says (its layers, its coverage penalty; in place:
    ``positional_scores`` and ``score``), re-sort them by it, drop the rest."""
    rows, tokens = [], []
    for i, sent in enumerate(hypos):
        del sent[nbest:]
        for hyp in sent:
            rows.append(i)
            tokens.append(hyp["tokens"])
    if not rows:
        return
    eos, pad = decoder.dictionary.eos(), decoder.dictionary.pad()
    length = max(len(t) for t in tokens)
    target = torch.full((len(rows), length), pad, dtype=torch.long)
    for r, t in enumerate(tokens):
        target[r, :len(t)] = t.cpu()
    device = encoder_out["encoder_out"][0].device
    target = target.to(device)
    prev = torch.cat([target.new_full((len(rows), 1), eos), target[:, :-1]], dim=1)
    # a row a hypothesis
    enc = beam_layout.take_rows(encoder_out, torch.tensor(rows, device=device))
    incremental_state: Dict[str, Dict[str, Optional[Tensor]]] = {}
    decoder.set_decoding(incremental_state, decoding)
    layers = decoder.own_layers() if decoding.layers is None else decoding.layers
    if decoder.copy or decoding.coverage_penalty:
        # the model's own probabilities step by step: copy attention mixes in each step's
        # attention, the coverage penalty adds each step's change
        lprobs = torch.cat([decoder.get_normalized_probs(
            decoder(prev[:, :t + 1], enc, incremental_state), log_probs=True)
            for t in range(length)], dim=1)  # R x T x V
    else:
        feats = []
        for t in range(length):
            feat, _ = decoder.extract_features(prev[:, :t + 1], enc, incremental_state)
            feats.append(layers.project(feat) if layers.project is not None else feat)
        # the output layer once for every step (one large product, not `length` small ones)
        lprobs = F.log_softmax(layers.output(torch.cat(feats, dim=1)).float(), dim=-1)
    scores = lprobs.gather(2, target.unsqueeze(2)).squeeze(2)   # R x T
    r = 0
    for sent in hypos:
        for hyp in sent:
            n = len(hyp["tokens"])
            pos = scores[r, :n].to(hyp["positional_scores"].device)
            hyp["positional_scores"] = pos
            hyp["score"] = pos.sum() / (n ** lenpen)
            r += 1
        sent.sort(key=lambda h: -float(h["score"]))


# --------------------------------------------------------------------------- the hook
#: the generator hooks, in the order they run (see the module's docstring)
HOOKS = (lm_fusion.generator_hook, coverage_penalty_hook, fast_decoding_hook)

_fairseq_build_generator = FairseqTask.build_generator


def build_generator(self, models, args, seq_gen_cls=None, extra_gen_cls_kwargs=None,
                    prefix_allowed_tokens_fn=None):
    extra = dict(extra_gen_cls_kwargs or {})
    for hook in HOOKS:
        seq_gen_cls, extra = hook(self, models, args, seq_gen_cls, extra)
    if getattr(args, "print_alignment", False):
        # the alignment search reads the steps' attention, however the models were prepared
        extra[search.PLAN] = search.plan_of(extra, models).with_decodings(
            lambda i, d: d._replace(need_attn=True))
    plan = extra.pop(search.PLAN, None)
    if plan is not None and not plan.is_default() and not getattr(args, "score_reference",
                                                                  False):
        # the plan travels with the generator (a scorer runs the whole model: no steps)
        extra[search.PLAN] = plan
        seq_gen_cls = search.search_class(seq_gen_cls or search.default_class(args, extra))
    return _fairseq_build_generator(self, models, args, seq_gen_cls, extra,
                                    prefix_allowed_tokens_fn)


def install():
    """Make :func:`build_generator` every task's (the plugin's one hook on it)."""
    FairseqTask.build_generator = build_generator
