"""A faster decoding step for the plugin's RNN models: ``--fast-decoding MODE``.

fairseq's beam search (``SequenceGenerator``) asks the decoder for one step at a time, and
on a CPU most of a step is matrix products: the output layer (readout x vocabulary), the
decoder RNN and, for Luong's attention, the combine layer. The modes, set with the
generation option ``--fast-decoding`` (:mod:`fairseq_plugins.compat.fast_decoding_options`
adds it to ``fairseq-generate``, ``fairseq-interactive`` and every task's generator):

``none`` (default)
    the model's own step, unchanged.
``lean``
    the model's own weights and arithmetic, with less copying: beam search keeps the
    encoder's output and the attention keys one row a sentence instead of one per
    hypothesis, so that no step copies them (:func:`reorder_by_sentence`). Exact: the
    same hypotheses and scores as ``none`` (to float rounding). Every mode below does
    this too.
``int8`` (CPU only)
    the decoder's matrix products in int8: the output layer (and a tied output's
    projection), the combine layer and the RNN's gates (LSTM: one product of ``[x; h]`` per
    layer; GRU: one of ``x`` and one of ``h``) as dynamically quantised linear layers
    (``torch.ao``: weights int8 per output row, activations quantised per step); the
    encoder and the attention stay fp32. Approximate: log-probabilities move by about
    1e-2; on a barely trained model about one sentence in five changed at beam 5.
``shortlist``
    the output layer over a list of target tokens per batch instead of the whole
    vocabulary: the most frequent ``--shortlist-frequent`` tokens, ``<eos>`` and ``<unk>``,
    the source tokens themselves where source and target share a dictionary (GEC), and, for
    each source token, its targets in ``--shortlist FILE`` (a lexical table,
    ``scripts/build_shortlist.py`` builds one from the training data; required except for
    the ``gec`` task). The search's log-probabilities are normalised over the list;
    every hypothesis returned is then scored again with the whole vocabulary, so its
    score (and each positional score) is the one the standard path gives that sentence.
``int8-shortlist``
    both. Weights are quantised per output row, so a shortlisted logit is exactly the int8
    model's logit for that token, and the exact rescoring uses the int8 model.

What equality holds, and what is tested (``tests/unit/test_fast_decoding.py``):

* any sentence a shortlist mode returns has the score the standard path (``shortlist``)
  or the ``int8`` path (``int8-shortlist``) gives that sentence (up to float rounding);
* greedy search (``--beam 1``): whenever every token the standard path outputs is in the
  list, the shortlist outputs the same sentence, hence with the same score (the argmax over
  the whole vocabulary is in the list, so it is the argmax over the list, step by step);
* beam search: the same sentence is likely but not guaranteed, because normalising over
  the list raises the scores of different prefixes by different amounts, which can change
  which prefixes the beam keeps. ``scripts/benchmark.py --inference`` measures how often.

The quantised layers live in a plain object beside the decoder, not in its modules:
``state_dict()`` is unchanged, and a checkpoint saved from a model prepared here is the
checkpoint that was loaded. Nothing is quantised before decoding.

Bad combinations end in one line (:class:`FastDecodingError`): a model that is not the
plugin's RNN, ``int8`` on CUDA, a shortlist without its table (or with a table that does
not fit the dictionaries), ``--cpu-bf16`` with int8, constraints.
"""
import logging
import warnings
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from fairseq_plugins.errors import ModelOptionError

logger = logging.getLogger(__name__)

MODES = ("none", "lean", "int8", "shortlist", "int8-shortlist")
DEFAULT_FREQUENT = 1000


class FastDecodingError(ModelOptionError):
    """A --fast-decoding mode that cannot run with this model, device or file."""


# --------------------------------------------------------------------------- int8 layers
def quantize_linear(linear: nn.Linear) -> nn.Module:
    """A dynamically quantised copy of ``linear``: int8 weights, one scale per output row
    (so any subset of rows quantises exactly as in the whole), int8 activations per call."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    holder = nn.Sequential(linear)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch.ao.quantization's deprecation notice
        quantized = quantize_dynamic(holder, {nn.Linear: per_channel_dynamic_qconfig},
                                     dtype=torch.qint8, inplace=False)
    return quantized[0]


def _linear_from(weight: Tensor, bias: Optional[Tensor]) -> nn.Linear:
    out_features, in_features = weight.shape
    layer = nn.Linear(in_features, out_features, bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(weight.detach().float())
        if bias is not None:
            layer.bias.copy_(bias.detach().float())
    return layer


class _Int8Rows:
    """Rows ``ids`` of a quantised linear layer: its int8 weights and per-row scales, so
    that each logit is the whole layer's (quantising them anew would give the same
    weights, at several times the cost a batch)."""

    def __init__(self, layer: nn.Module, weight: Tensor, ids: Tensor, bias: Optional[Tensor]):
        w = layer.weight()
        qweight = torch.quantize_per_channel(
            weight, w.q_per_channel_scales().index_select(0, ids),
            w.q_per_channel_zero_points().index_select(0, ids), 0, torch.qint8)
        self.packed = torch.ops.quantized.linear_prepack(qweight, bias)

    def __call__(self, x: Tensor) -> Tensor:
        return torch.ops.quantized.linear_dynamic(x, self.packed, reduce_range=True)


class _Int8LSTMLayer:
    """One LSTM layer's step as one int8 product of ``[x; h]``: gates i, f, g, o as
    PyTorch orders them, both biases summed."""

    def __init__(self, rnn: nn.LSTM, layer: int):
        w = torch.cat([getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")],
                      dim=1)
        b = getattr(rnn, f"bias_ih_l{layer}") + getattr(rnn, f"bias_hh_l{layer}")
        self.gates = quantize_linear(_linear_from(w, b))

    def __call__(self, x: Tensor, h: Tensor, c: Tensor):
        i, f, g, o = self.gates(torch.cat([x, h], dim=-1)).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class _Int8GRULayer:
    """One GRU layer's step: int8 products of ``x`` and of ``h`` (the candidate's reset gate
    multiplies the recurrent product alone, as in PyTorch's GRU)."""

    def __init__(self, rnn: nn.GRU, layer: int):
        self.ih = quantize_linear(_linear_from(getattr(rnn, f"weight_ih_l{layer}"),
                                               getattr(rnn, f"bias_ih_l{layer}")))
        self.hh = quantize_linear(_linear_from(getattr(rnn, f"weight_hh_l{layer}"),
                                               getattr(rnn, f"bias_hh_l{layer}")))

    def __call__(self, x: Tensor, h: Tensor, c=None):
        xr, xz, xn = self.ih(x).chunk(3, dim=-1)
        hr, hz, hn = self.hh(h).chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None


# --------------------------------------------------------------------------- shortlist
class Shortlist:
    """Which target tokens a batch may output: see the module's docstring."""

    def __init__(self, src_dict, tgt_dict, table: Optional[Dict[int, List[int]]],
                 frequent: int, include_source: bool):
        self.tgt_size = len(tgt_dict)
        # the special symbols first: each keeps its id in the list (bos, pad, eos, unk are
        # 0..3), which is what lets fairseq's search run over list positions
        always = set(range(min(len(tgt_dict), tgt_dict.nspecial + frequent)))
        always |= {tgt_dict.bos(), tgt_dict.pad(), tgt_dict.eos(), tgt_dict.unk()}
        self.always = torch.tensor(sorted(always), dtype=torch.long)
        self.include_source = include_source
        self.pad = src_dict.pad()
        # the table as one lookup: source id -> row of target ids (padded with eos)
        self.lookup = None
        if table:
            width = max(len(v) for v in table.values())
            lookup = torch.full((len(src_dict), max(width, 1)), tgt_dict.eos(), dtype=torch.long)
            for s, targets in table.items():
                lookup[s, :len(targets)] = torch.tensor(targets, dtype=torch.long)
            self.lookup = lookup

    def select(self, src_tokens: Tensor, extra: Optional[Tensor] = None) -> Tensor:
        """The sorted target ids for a batch of source tokens (B x S)."""
        src = src_tokens[src_tokens != self.pad].unique().cpu()
        parts = [self.always]
        if self.lookup is not None:
            parts.append(self.lookup[src].flatten())
        if self.include_source:
            parts.append(src[src < self.tgt_size])
        if extra is not None:
            parts.append(extra.flatten().cpu())
        return torch.cat(parts).unique()   # sorted


def read_table(path: str, src_dict, tgt_dict) -> Dict[int, List[int]]:
    """A lexical table file: ``source-token<TAB>target-token target-token ...`` a line."""
    import os

    if not os.path.isfile(path):
        raise FastDecodingError(f"--shortlist {path}: no such file")
    table, unknown_src, known = {}, 0, 0
    unk_src, unk_tgt = src_dict.unk(), tgt_dict.unk()
    with open(path, encoding="utf-8", errors="strict") as f:
        try:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                if "\t" not in line:
                    raise FastDecodingError(
                        f"--shortlist {path}: line {number} is not 'source<TAB>targets' (a "
                        f"lexical table from scripts/build_shortlist.py)")
                src, targets = line.rstrip("\n").split("\t", 1)
                s = src_dict.index(src)
                if s == unk_src and src != src_dict.unk_word:
                    unknown_src += 1
                    continue
                ids = [t for t in (tgt_dict.index(w) for w in targets.split()) if t != unk_tgt]
                table[s] = ids
                known += 1
        except UnicodeDecodeError as e:
            raise FastDecodingError(f"--shortlist {path}: not UTF-8 text ({e.reason} at byte "
                                    f"{e.start})")
    if known == 0:
        raise FastDecodingError(f"--shortlist {path}: none of its {unknown_src} source tokens is "
                                f"in the source dictionary: a table for another model's data?")
    return table


# --------------------------------------------------------------------------- the step
class FastStep:
    """The incremental step the decoder runs when a fast mode is set (see the module)."""

    def __init__(self, decoder, mode: str, shortlist: Optional[Shortlist]):
        self.mode = mode
        self.int8 = mode in ("int8", "int8-shortlist")
        self.shortlist = shortlist
        self.batch_ids: Optional[Tensor] = None   # the current batch's shortlist
        self.list_space = False
        self._batch_out = None
        d = decoder
        self.output = self._output_linear(d)   # fp32 nn.Linear (readout or E -> V)
        self.out_proj = d.out_proj
        self.combine = d.combine
        self.layers = None
        if self.int8:
            self.output_q = quantize_linear(self.output)
            if d.out_proj is not None:
                self.out_proj = quantize_linear(d.out_proj)
            if d.combine is not None:
                self.combine = quantize_linear(d.combine)
            layer = _Int8LSTMLayer if d.cell == "lstm" else _Int8GRULayer
            self.layers = [layer(d.rnn, i) for i in range(d.num_layers)]

    @staticmethod
    def _output_linear(d) -> nn.Linear:
        if d.output_projection is not None:
            return d.output_projection
        return _linear_from(d.embed_tokens.effective_weight(), None)   # tied: E -> V

    # ---------------------------------------------------------------- per batch
    def set_batch(self, ids: Optional[Tensor], list_space: bool = False):
        """Restrict the output layer to ``ids`` (sorted target ids) until the next batch.
        With ``list_space`` the search runs over positions in the list: the step reads its
        tokens as positions and returns logits over the list alone (K, not V)."""
        self.batch_ids = ids
        self.list_space = list_space and ids is not None
        self._batch_out = None
        if ids is None:
            return
        weight = self.output.weight.index_select(0, ids)
        bias = self.output.bias.index_select(0, ids) if self.output.bias is not None else None
        if self.int8:   # the whole layer's rows, as it quantised them (its scale a row)
            self._batch_out = _Int8Rows(self.output_q, weight, ids, bias)
        else:
            self._batch_out = lambda x: F.linear(x, weight, bias)

    # ---------------------------------------------------------------- one step
    def step(self, d, prev_output_tokens: Tensor, encoder_out, incremental_state,
             full_vocab: bool = False, features_only: bool = False):
        """One decoding step of ``d`` (an RNNDecoder): (logits B x 1 x (V or K), extra);
        with ``features_only``, what the output layer would take instead of its logits.

        ``encoder_out`` is either the encoder's output with a row per hypothesis (the
        rescoring) or beam search's, kept with one row per sentence
        (:func:`reorder_by_sentence`): then the attention scores the k hypotheses of
        each sentence as k query steps of that sentence, which is the same arithmetic.
        """
        cached = d._get_cached(incremental_state)
        memory = self._memory(d, encoder_out, cached)
        state = cached if cached is not None else self._initial_state(d, encoder_out)
        tokens = prev_output_tokens[:, -1:]   # R x 1
        if self.list_space and not full_vocab:
            tokens = self.batch_ids[tokens]   # list positions -> target ids
        emb = d.embed_tokens(tokens)   # R x 1 x E
        parts, context, attn = [emb], None, None
        if d.input_feeding:
            parts.append(state["input_feed"].unsqueeze(1))
        if d.attention_type == "additive":
            context, attn = self._attend(d, state["hidden"][-1].unsqueeze(1), memory)
        elif d.context_every_step:
            context = memory["summary"].unsqueeze(1)
        if context is not None:
            parts.append(context)
        x = torch.cat(parts, dim=-1)
        if self.layers is None:
            out, state = d._rnn(x, state)   # R x 1 x H, the model's own RNN
        else:
            state = dict(state)
            x, hs, cs = x.squeeze(1), [], []
            for i, layer in enumerate(self.layers):
                h, c = layer(x, state["hidden"][i],
                             state["cell"][i] if state["cell"] is not None else None)
                hs.append(h)
                cs.append(c)
                x = h
            state["hidden"] = torch.stack(hs)
            state["cell"] = torch.stack(cs) if d.cell == "lstm" else None
            out = x.unsqueeze(1)
        if d.luong:
            context, attn = self._attend(d, out, memory)
            feat = torch.tanh(self.combine(torch.cat([context, out], dim=-1)))
        else:
            feat = d._readout(out, emb, context)
        if d.input_feeding:
            state["input_feed"] = feat.squeeze(1)
        # per sentence the keys travel with encoder_out: nothing for the state's reorder
        state["keys"] = None if memory["group"] else memory["keys"]
        d._set_cached(incremental_state, state)
        if self.out_proj is not None:
            feat = self.out_proj(feat)
        extra = {"attn": [attn if d.need_attn else None]}
        if features_only:
            return feat, extra
        if self._batch_out is not None and not full_vocab:
            if not self.list_space:   # the search's vocabulary is V: spread the list over it
                extra["shortlist"] = self.batch_ids
            return self._batch_out(feat), extra
        out_layer = self.output_q if self.int8 else self.output
        return out_layer(feat), extra

    @staticmethod
    def _memory(d, encoder_out, cached):
        group = encoder_out.get("beam_group", 0)
        if not group:   # a row per hypothesis: the model's own
            memory = d._memory(encoder_out, cached["keys"] if cached is not None else None)
            memory["group"] = 0
            return memory
        if "attention_keys" not in encoder_out and d.attention is not None:
            # once per batch, and per sentence: reorder_by_sentence carries them along
            encoder_out["attention_keys"] = [d.attention.project_keys(
                encoder_out["encoder_out"][0])]
        memory = d._memory(encoder_out, encoder_out.get("attention_keys", [None])[0])
        if memory["summary"] is not None:   # n x C -> R x C
            memory["summary"] = memory["summary"].repeat_interleave(group, dim=0)
        memory["group"] = group
        return memory

    @staticmethod
    def _attend(d, query: Tensor, memory):
        """The attention of R x 1 x Q queries; per sentence, as n x k x Q."""
        group = memory["group"]
        if not group:
            return d.attention(query, memory["keys"], memory["values"], memory["mask"])
        rows = query.size(0)
        n = rows // group
        context, attn = d.attention(query.view(n, group, -1), memory["keys"],
                                    memory["values"], memory["mask"])   # n x k x C, n x k x S
        return context.reshape(rows, 1, -1), attn.reshape(rows, 1, -1)

    @staticmethod
    def _initial_state(d, encoder_out):
        state = d._initial_state(encoder_out)
        group = encoder_out.get("beam_group", 0)
        if group > 1:   # per sentence -> per hypothesis, once per batch
            state = {key: (None if t is None else
                           t.repeat_interleave(group, dim=0 if key == "input_feed" else 1))
                     for key, t in state.items()}
        return state

    # ---------------------------------------------------------------- exact rescoring
    @torch.no_grad()
    def rescore(self, d, sample, hypos: List[List[dict]], nbest: int, lenpen: float,
                encoder_out) -> None:
        """Score each sentence's first ``nbest`` hypotheses over the whole vocabulary (in
        place: ``positional_scores`` and ``score``), re-sort them by it, drop the rest."""
        rows, tokens = [], []
        for i, sent in enumerate(hypos):
            del sent[nbest:]
            for hyp in sent:
                rows.append(i)
                tokens.append(hyp["tokens"])
        if not rows:
            return
        eos, pad = d.dictionary.eos(), d.dictionary.pad()
        length = max(len(t) for t in tokens)
        target = torch.full((len(rows), length), pad, dtype=torch.long)
        for r, t in enumerate(tokens):
            target[r, :len(t)] = t.cpu()
        device = encoder_out["encoder_out"][0].device
        target = target.to(device)
        prev = torch.cat([target.new_full((len(rows), 1), eos), target[:, :-1]], dim=1)
        enc = _select_rows(encoder_out, torch.tensor(rows, device=device))   # a row a hypothesis
        incremental_state: Dict[str, Dict[str, Optional[Tensor]]] = {}
        feats = [self.step(d, prev[:, :t + 1], enc, incremental_state, full_vocab=True,
                           features_only=True)[0] for t in range(length)]
        # the output layer once for every step (one large product, not `length` small ones)
        out_layer = self.output_q if self.int8 else self.output
        lprobs = F.log_softmax(out_layer(torch.cat(feats, dim=1)).float(), dim=-1)  # R x T x V
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


# --------------------------------------------------------------------------- one row a sentence
#: the encoder output's tensors and the dimension that counts sentences
SENTENCE_DIMS = {"encoder_out": 0, "encoder_padding_mask": 0, "final_hidden": 2,
                 "final_cell": 2, "attention_keys": 0}


def reorder_by_sentence(encoder, encoder_out, new_order: Tensor):
    """Beam search's ``reorder_encoder_out``, keeping one row a sentence.

    fairseq's generator repeats every sentence's encoder output k times (the beam) and
    then copies all of it at every step to follow the hypotheses, although the k rows
    of a sentence are the same and a hypothesis never moves to another sentence. Here
    the output stays one row a sentence, with ``beam_group`` = k: a step's hypotheses
    are rows ``i*k .. i*k+k-1`` of sentence ``i``. Rows are copied only when sentences
    finish (those are dropped). An order that does not keep whole sentences in groups
    of k (no search of fairseq's makes one) gets the encoder's own row per hypothesis.
    """
    group = encoder_out.get("beam_group", 0)
    n = encoder_out["encoder_out"][0].size(0)
    rows = new_order.numel()
    k = group or (rows // n if n and rows % n == 0 else 0)
    sentence = new_order // (group or 1)   # the sentence of each new row
    if k and rows % k == 0:
        by_group = sentence.view(-1, k)
        keep = by_group[:, 0]
        if bool((by_group == keep.unsqueeze(1)).all()):
            if keep.numel() == n and bool((keep == torch.arange(n, device=keep.device)).all()):
                out = dict(encoder_out)
            else:   # sentences finished: keep the others' rows
                out = _select_rows(encoder_out, keep)
            out["beam_group"] = k
            return out
    own = {key: value for key, value in encoder_out.items()
           if key not in ("beam_group", "attention_keys")}
    return encoder.reorder_encoder_out(own, sentence)   # one row a hypothesis, as fairseq's


def _select_rows(encoder_out, index: Tensor):
    """The encoder output's rows ``index`` (sentences, or hypotheses to rescore)."""
    return {key: [t.index_select(SENTENCE_DIMS[key], index) for t in value]
            for key, value in encoder_out.items() if key in SENTENCE_DIMS}


def normalized_shortlist_probs(logits: Tensor, ids: Tensor, vocab: int, log_probs: bool):
    """Log-probabilities (or probabilities) over the vocabulary from logits over ``ids``:
    normalised over the list, -inf (0) for every other token."""
    lp = F.log_softmax(logits.float(), dim=-1)
    full = lp.new_full(lp.shape[:-1] + (vocab,), float("-inf"))
    full.index_copy_(lp.dim() - 1, ids.to(lp.device), lp)
    return full if log_probs else full.exp()


# --------------------------------------------------------------------------- set-up
def _is_plugin_rnn(model) -> bool:
    from fairseq_plugins.models.rnn_decoder import RNNDecoder

    return isinstance(getattr(model, "decoder", None), RNNDecoder)


def prepare(models, args, task) -> Optional["FastGenerator"]:
    """Set up ``--fast-decoding`` on every model of the ensemble; None for ``none``."""
    mode = getattr(args, "fast_decoding", None) or "none"
    if mode == "none":
        return None
    if mode not in MODES:
        raise FastDecodingError(f"--fast-decoding {mode}: choose one of {', '.join(MODES)}")
    for model in models:
        if not _is_plugin_rnn(model):
            name = getattr(getattr(model, "cfg", None), "_name", None) or type(model).__name__
            raise FastDecodingError(
                f"--fast-decoding {mode} is for the plugin's RNN models (--arch rnn_*); "
                f"this model is {name}")
        device = next(model.parameters()).device
        if mode.startswith("int8") and device.type != "cpu":
            raise FastDecodingError(
                f"--fast-decoding {mode}: int8 runs on a CPU only and the model is on "
                f"{device.type}; add --cpu, or use --fast-decoding shortlist")
        if mode.startswith("int8") and model.decoder.cpu_bf16:
            raise FastDecodingError(
                f"--fast-decoding {mode} with a --cpu-bf16 1 model: add --model-overrides "
                "\"{'cpu_bf16': 0}\" (int8 replaces bf16)")
    shortlist = None
    if mode.endswith("shortlist"):
        if len(models) > 1:
            raise FastDecodingError(f"--fast-decoding {mode} takes one model, not an ensemble "
                                    f"of {len(models)} (use int8)")
        shortlist = build_shortlist(args, task, mode)
    steps = []
    for model in models:
        step = FastStep(model.decoder, mode, shortlist)
        model.decoder.fast_step = step
        steps.append(step)
    logger.info("--fast-decoding %s%s", mode, "" if shortlist is None else
                f" (list: {len(shortlist.always)} frequent and special tokens"
                + (", the lexical table" if shortlist.lookup is not None else "")
                + (", the source tokens" if shortlist.include_source else "") + ")")
    return FastGenerator(models, steps, shortlist, args)


def build_shortlist(args, task, mode) -> Shortlist:
    src_dict, tgt_dict = task.source_dictionary, task.target_dictionary
    path = getattr(args, "shortlist", None)
    frequent = getattr(args, "shortlist_frequent", None)
    frequent = DEFAULT_FREQUENT if frequent is None else int(frequent)
    if frequent < 0:
        raise FastDecodingError(f"--shortlist-frequent must be >= 0, got {frequent}")
    joined = src_dict is tgt_dict or src_dict.symbols == tgt_dict.symbols
    from fairseq_plugins.tasks.gec import GECTask

    is_gec = isinstance(task, GECTask)
    if not path and not is_gec:
        raise FastDecodingError(
            f"--fast-decoding {mode} needs a lexical table, --shortlist FILE (build one with "
            f"scripts/build_shortlist.py); only the gec task lists the source tokens instead")
    table = read_table(path, src_dict, tgt_dict) if path else None
    return Shortlist(src_dict, tgt_dict, table, frequent, include_source=joined and is_gec)


class FastGenerator:
    """Wraps fairseq's generator: sets each batch's shortlist, and scores what it returns
    over the whole vocabulary (see the module's docstring). Everything else is the
    wrapped generator's."""

    def __init__(self, models, steps, shortlist, args):
        self.models, self.steps, self.shortlist = models, steps, shortlist
        self.nbest = int(getattr(args, "nbest", 1) or 1)
        self.lenpen = float(getattr(args, "lenpen", 1.0) if getattr(args, "lenpen", None)
                            is not None else 1.0)
        self.generator = None
        self.encoder_outs = None   # the encoder's output for the batch being decoded

    def wrap(self, generator):
        self.generator = generator
        ensemble = getattr(generator, "model", None)   # fairseq's EnsembleModel
        if ensemble is not None and hasattr(ensemble, "reorder_encoder_out"):
            models = list(ensemble.models)

            def reorder_encoder_out(encoder_outs, new_order):
                return [reorder_by_sentence(model.encoder, out, new_order)
                        for model, out in zip(models, encoder_outs)]

            ensemble.reorder_encoder_out = reorder_encoder_out
            forward_encoder = ensemble.forward_encoder

            def keep_encoder_out(net_input):   # for the rescoring: no second encoder pass
                self.encoder_outs = forward_encoder(net_input)
                return self.encoder_outs

            ensemble.forward_encoder = keep_encoder_out
        return self

    def __getattr__(self, name):
        return getattr(self.__dict__["generator"], name)

    @torch.no_grad()
    def generate(self, models, sample, **kwargs):
        if self.shortlist is None:
            return self.generator.generate(models, sample, **kwargs)
        if kwargs.get("constraints") is not None:
            raise FastDecodingError("--fast-decoding with a shortlist does not take "
                                    "--constraints")
        src = sample["net_input"]["src_tokens"]
        prefix = kwargs.get("prefix_tokens")
        ids = self.shortlist.select(src, prefix)
        list_space = self.searches_the_list()
        for step in self.steps:
            step.set_batch(ids, list_space)
        vocab_size = self.generator.vocab_size
        self.encoder_outs = None
        try:
            if list_space:
                # fairseq's search over list positions: its log-softmax, top-k and buffers
                # are K wide instead of V (specials keep their ids: bos, pad, eos, unk)
                self.generator.vocab_size = len(ids)
                if prefix is not None:
                    kwargs["prefix_tokens"] = torch.searchsorted(ids.to(prefix.device), prefix)
            hypos = self.generator.generate(models, sample, **kwargs)
        finally:
            self.generator.vocab_size = vocab_size
            for step in self.steps:
                step.set_batch(None)
        if list_space:
            for sent in hypos:
                for hyp in sent:
                    hyp["tokens"] = ids.to(hyp["tokens"].device)[hyp["tokens"]]
        model = self.models[0]
        encoder_out = (self.encoder_outs[0] if self.encoder_outs else
                       model.encoder.forward(src, sample["net_input"]["src_lengths"]))
        self.encoder_outs = None
        self.steps[0].rescore(model.decoder, sample, hypos, self.nbest, self.lenpen,
                              encoder_out)
        return hypos

    def searches_the_list(self) -> bool:
        """Whether fairseq's search can run over list positions: its plain
        SequenceGenerator, without a language model (whose scores are over V) or the
        alignment generator of --print-alignment (which feeds the tokens to the model);
        the others search the whole vocabulary, the tokens outside the list at -inf."""
        from fairseq.sequence_generator import SequenceGenerator

        gen = self.generator
        return type(gen) is SequenceGenerator and getattr(gen, "lm_model", None) is None
