"""RNN decoder with swappable attention, bridge, input feeding and scheduled sampling.

Two ways to run the same weights:

* **all steps in one call** -- when no step's input depends on the previous step's
  output (attention ``none``/``dot``/``general``, no input feeding, no scheduled
  sampling), the RNN runs over the whole target at once (one fused kernel, cuDNN on a
  GPU), then the attention of every step is one batched matrix product;
* **step by step** -- for additive attention (its query is the *previous* state and its
  context is an RNN input), input feeding (the previous attentional vector is an input),
  scheduled sampling (the previous prediction is an input), and for incremental decoding
  in fairseq's beam search, which asks for one step at a time. Both paths share
  :meth:`RNNDecoder._readout`, so they score identically.

Every step-by-step path runs one function, :meth:`RNNDecoder.step`: the whole-target loop
(:meth:`RNNDecoder._steps`), input feeding's training loop over the sentences still running
(:mod:`fairseq_plugins.models.input_feeding`) and incremental decoding. A step runs the
layers it is given (:class:`StepLayers`: the RNN, Luong's combination, the tied output's
projection, the output layer); by default the decoder's own. In incremental decoding the
search says which, with the coverage penalty, in a :class:`Decoding` it puts into the
incremental state (:meth:`RNNDecoder.set_decoding`; the search owns it, the decoder is never
changed): ``--fast-decoding`` (:mod:`fairseq_plugins.decoding`) gives int8 copies or an
output layer over a per-batch list of target tokens.

Incremental decoding also reads the encoder's output in fairseq's layout (a row per
hypothesis) or, under ``--fast-decoding``, one row per sentence for k hypotheses each (its
:class:`~.step_inputs.SentenceRows`, :mod:`fairseq_plugins.decoding.beam_layout`): the
attention then scores the k hypotheses of a sentence as k query steps of that sentence,
the same arithmetic.

The readout (what the output layer sees) follows each paper:

* Luong (dot / general):   h~_t = tanh(W_c [c_t; h_t])       (also the input-fed vector)
* Bahdanau (additive) and Cho (fixed context): [h_t; c_t; e_t] (a "deep output")
* no attention (Sutskever): h_t

Copy attention (``--copy-attention 1``, :mod:`.copy_attention`) mixes the output layer's
distribution with the attention over the source tokens in :meth:`get_normalized_probs`;
coverage (``--coverage 1``, ``--coverage-penalty``, :mod:`.coverage`) is the sum of past
attention, carried in the step's state (``coverage``), which makes every step depend on the
attention of the steps before it (no all-steps path then).

Shapes: B batch, T target steps, S source length, E embedding size, H decoder hidden
size, C encoder output size (= directions x encoder hidden), L decoder layers, V vocab.
"""
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from fairseq.incremental_decoding_utils import with_incremental_state  # noqa: F401
from fairseq.models import FairseqIncrementalDecoder
from torch import Tensor

from fairseq_plugins.errors import ModelOptionError
from fairseq_plugins.models import copy_attention, coverage, input_feeding
from fairseq_plugins.models.attention import build_attention
from fairseq_plugins.models.bridges import Bridge
from fairseq_plugins.models.rnn_encoder import build_rnn, cpu_autocast
from fairseq_plugins.models.step_inputs import SENTENCE_ROWS, Memory, StepState

Layer = Callable[[Tensor], Tensor]


class StepLayers(NamedTuple):
    """The layers one decoder step runs (see the module's docstring)."""

    #: (x B x 1 x I, state) -> (RNN output B x 1 x H, before dropout; the new state)
    rnn: Callable[[Tensor, StepState], Tuple[Tensor, StepState]]
    #: Luong's W_c ([c_t; h_t] -> H), None for the other attentions
    combine: Optional[Layer]
    #: a tied output's projection of the readout to the embedding size, or None
    project: Optional[Layer]
    #: the output layer: logits over the vocabulary, or over ``output_ids``
    output: Layer
    #: the sorted target ids ``output`` scores (None: the whole vocabulary)
    output_ids: Optional[Tensor] = None
    #: whether the step's input tokens are positions in ``output_ids`` (a search that runs
    #: over the list), not target ids
    positions: bool = False


class Decoding(NamedTuple):
    """What a search asks of the decoder's incremental steps; it belongs to the search
    (fairseq_plugins.decoding.search), which puts it into each batch's incremental state
    with :meth:`RNNDecoder.set_decoding`. Without one, a step runs as ``Decoding()``."""

    #: the layers the steps run (int8 copies, a list's output layer); None: the decoder's own
    layers: Optional[StepLayers] = None
    #: Wu et al.'s coverage penalty beta (--coverage-penalty); 0: none
    coverage_penalty: float = 0.0
    #: whether the steps return their attention (an alignment search's); None: as the
    #: decoder was prepared (:attr:`RNNDecoder.need_attn`)
    need_attn: Optional[bool] = None


class RNNDecoder(FairseqIncrementalDecoder):
    #: whether incremental steps return their attention; fairseq-generate and
    #: fairseq-interactive ask for it only with --print-alignment (make_generation_fast_),
    #: and without it the beam search copies no attention at each step
    need_attn = True

    def __init__(self, dictionary, embed_tokens, encoder_output_dim: int, encoder_hidden: int,
                 encoder_directions: int, cfg):
        super().__init__(dictionary)
        self.embed_tokens = embed_tokens
        self.cell = cfg.cell
        self.hidden_size = H = cfg.decoder_hidden_size
        self.num_layers = cfg.decoder_layers
        self.dropout = cfg.dropout
        self.attention_type = cfg.attention
        self.context_every_step = bool(cfg.context_every_step)
        self.teacher_forcing_ratio = cfg.teacher_forcing_ratio
        self.cpu_bf16 = bool(cfg.cpu_bf16)
        self.copy = bool(cfg.copy_attention)
        self.coverage = bool(cfg.coverage)
        self.coverage_loss_weight = float(cfg.coverage_loss_weight)
        E, C = embed_tokens.embedding_dim, encoder_output_dim

        # Luong's attention is queried with the current state; Bahdanau's with the previous
        self.luong = cfg.attention in ("dot", "general")
        self.input_feeding = self.luong and bool(cfg.input_feeding)
        # a context vector (attention's or Cho's fixed one) that is also an RNN input
        self.context_input = cfg.attention == "additive" or self.context_every_step

        input_size = E + (H if self.input_feeding else 0) + (C if self.context_input else 0)
        self.rnn = build_rnn(cfg.cell, input_size, H, self.num_layers, cfg.dropout)
        self.attention = build_attention(cfg.attention, H, C, cfg.attention_dim or H,
                                         coverage=self.coverage)
        self.bridge = Bridge(cfg.bridge, encoder_hidden, encoder_directions, H, self.num_layers,
                             cell_state=cfg.cell == "lstm")
        self.combine = nn.Linear(C + H, H, bias=False) if self.luong else None

        readout_dim = H + (C + E if self.context_input else 0)
        if cfg.share_decoder_input_output_embed:
            # tied output: project the readout to the embedding size when they differ
            self.out_proj = nn.Linear(readout_dim, E) if readout_dim != E else None
            self.output_projection = None
        else:
            self.out_proj = None
            self.output_projection = nn.Linear(readout_dim, len(dictionary))
        # copy attention's gate: p_gen = sigmoid(w_g . readout + b_g)
        self.copy_gate = nn.Linear(readout_dim, 1) if self.copy else None

    # ------------------------------------------------------------------ forward
    def forward(self, prev_output_tokens: Tensor, encoder_out: Dict[str, List[Tensor]],
                incremental_state: Optional[Dict[str, Dict[str, Optional[Tensor]]]] = None,
                **kwargs) -> Tuple[Tensor, Dict]:
        with cpu_autocast(self.cpu_bf16):  # logits B x T x V in bf16 under --cpu-bf16
            if incremental_state is not None:
                decoding = self.decoding_of(incremental_state)
                features, attn, extra = self._incremental_step(
                    prev_output_tokens, encoder_out, incremental_state, decoding)
                return self._step_output(features, attn, decoding, extra)
            features, attn = self.extract_features(prev_output_tokens, encoder_out)
            if self._input_fed_steps():
                # its padding positions hold no features: only the real ones are scored
                logits = input_feeding.output_layer(self, features, prev_output_tokens)
            else:
                logits = self.output_layer(features)
            extra = {"attn": [attn]}
            if self.copy:
                extra["copy"] = copy_attention.copy_input(
                    self.copy_gate(features), attn, encoder_out["src_tokens"][0])
            if self.training and self.coverage and self.coverage_loss_weight > 0:
                real = prev_output_tokens.ne(self.dictionary.pad())  # B x T: the targets'
                extra["coverage_loss"] = (self.coverage_loss_weight
                                          * coverage.coverage_loss(attn, real))
            return logits, extra

    def extract_features(self, prev_output_tokens, encoder_out, incremental_state=None):
        if incremental_state is not None:
            features, attn, _ = self._incremental_step(prev_output_tokens, encoder_out,
                                                       incremental_state,
                                                       self.decoding_of(incremental_state))
            return features, attn
        memory = self._memory(encoder_out, None)
        state = self._initial_state(encoder_out)
        sampling = self.training and self.teacher_forcing_ratio < 1.0
        if self._input_fed_steps():  # skips the padding's steps
            features, attn = input_feeding.input_fed_steps(self, prev_output_tokens, memory, state)
        elif self.input_feeding or self.attention_type == "additive" or sampling or self.coverage:
            features, attn, _ = self._steps(prev_output_tokens, memory, state, sample=sampling)
        else:
            features, attn = self._all_steps(prev_output_tokens, memory, state)
        return features, attn

    def get_normalized_probs(self, net_output, log_probs, sample=None):
        """fairseq's (log-)probabilities of the logits; then, as ``net_output[1]`` says,
        spread from a list of target ids over the vocabulary (a shortlist), mixed with
        the copied source tokens (copy attention) and the step's change of the coverage
        penalty added (in beam search: it makes the scores no longer sum to one)."""
        extra = net_output[1] if len(net_output) > 1 and isinstance(net_output[1], dict) else {}
        ids, copy, step_penalty = (extra.get("output_ids"), extra.get("copy"),
                                   extra.get("coverage_penalty"))
        if ids is None and copy is None and step_penalty is None:
            return super().get_normalized_probs(net_output, log_probs, sample)
        lprobs = F.log_softmax(net_output[0].float(), dim=-1)
        if ids is not None:
            lprobs = _spread_over_vocab(lprobs, ids, len(self.dictionary))
        if copy is not None:
            lprobs = copy_attention.mix(lprobs, copy)
        if step_penalty is not None:
            lprobs = lprobs + step_penalty.view(-1, 1, 1).to(lprobs.dtype)
        return lprobs if log_probs else lprobs.exp()

    def _input_fed_steps(self) -> bool:
        """Whether a whole-target forward runs input_feeding.input_fed_steps."""
        sampling = self.training and self.teacher_forcing_ratio < 1.0
        return not sampling and input_feeding.supports(self)

    def output_layer(self, features: Tensor) -> Tensor:
        # features: B x T x F -> logits B x T x V
        if self.out_proj is not None:
            features = self.out_proj(features)  # B x T x E
        return self._output(features)

    def _output(self, x: Tensor) -> Tensor:
        """The output layer proper: B x T x (F, or E when tied) -> logits B x T x V."""
        if self.output_projection is not None:
            return self.output_projection(x)
        return F.linear(x, self.embed_tokens.effective_weight())

    # ------------------------------------------------------------------ one step
    def own_layers(self) -> StepLayers:
        """The decoder's own layers, as a step runs them (fast decoding replaces some)."""
        return StepLayers(rnn=self._run_rnn, combine=self.combine, project=self.out_proj,
                          output=self._output)

    def step(self, emb: Tensor, state: StepState, memory: Memory,
             layers: Optional[StepLayers] = None,
             out_mask: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor], StepState]:
        """One decoder step: the readout B x 1 x F the output layer scores, the attention
        B x 1 x S (None without attention) and the new state.

        ``emb`` B x 1 x E is the input token's embedding, its dropout applied: the callers
        embed differently (input feeding draws every step's mask ahead; a search over a
        token list passes positions). ``state``: :class:`StepState`; ``memory``:
        :class:`Memory` (:meth:`_memory`). ``out_mask`` B x 1 x H, the RNN output's
        dropout mask drawn ahead (scaled), replaces drawing one here.
        """
        layers = self.own_layers() if layers is None else layers
        parts, context, attn = [emb], None, None
        if self.input_feeding:
            parts.append(state.input_feed.unsqueeze(1))  # B x 1 x H
        cover = state.coverage if self.coverage else None  # B x S, the attention's input
        if self.attention_type == "additive":
            query = state.hidden[-1].unsqueeze(1)  # B x 1 x H: previous top state
            context, attn = self._attend(query, memory, cover)
        elif self.context_every_step:
            context = memory.summary.unsqueeze(1)  # B x 1 x C
        if context is not None:
            parts.append(context)
        out, state = layers.rnn(torch.cat(parts, dim=-1), state)  # B x 1 x H
        if out_mask is not None:
            out = out * out_mask
        else:
            out = F.dropout(out, p=self.dropout, training=self.training)
        if self.luong:
            context, attn = self._attend(out, memory, cover)
        feat = self._readout(out, emb, context, layers.combine)  # B x 1 x F
        if self.input_feeding:
            state = state._replace(input_feed=feat.squeeze(1))
        if state.coverage is not None:  # fp32: a sum of up to T attentions
            state = state._replace(coverage=state.coverage + attn.squeeze(1).float())
        return feat, attn, state

    def set_decoding(self, incremental_state, decoding: Decoding):
        """What the incremental steps over ``incremental_state`` run (a search's
        :class:`Decoding`, set before the first step; it stays until the state is dropped)."""
        self.set_incremental_state(incremental_state, "decoding", decoding)

    def decoding_of(self, incremental_state) -> Decoding:
        """The :class:`Decoding` of ``incremental_state``: the search's, else the default."""
        decoding = self.get_incremental_state(incremental_state, "decoding")
        return _DEFAULT if decoding is None else decoding

    def _layers(self, decoding: Decoding) -> StepLayers:
        """The layers a step of ``decoding`` runs: its own, else the decoder's."""
        return self.own_layers() if decoding.layers is None else decoding.layers

    def _incremental_step(self, prev_output_tokens, encoder_out, incremental_state,
                          decoding: Decoding):
        """fairseq's incremental decoding: the step of the last token of each prefix."""
        layers = self._layers(decoding)
        cached = self._get_cached(incremental_state)
        memory = self._memory(encoder_out, cached.keys if cached is not None else None)
        state = (cached if cached is not None
                 else self._initial_state(encoder_out, decoding.coverage_penalty))
        tokens = prev_output_tokens[:, -1:]  # B x 1: fairseq passes the whole prefix
        if layers.positions:
            tokens = layers.output_ids[tokens]  # list positions -> target ids
        features, attn, state = self.step(self._embed(tokens), state, memory, layers)
        # one row a sentence: the keys travel with encoder_out, not with the state's reorder
        state = state._replace(keys=None if memory.group else memory.keys)
        # what get_normalized_probs reads beside the logits
        extra: Dict[str, object] = {}
        if self.copy:
            src = memory.src  # R x S
            if layers.positions:  # the search runs over the list, which holds every source token
                src = torch.searchsorted(layers.output_ids.to(src.device), src)
            extra["copy"] = copy_attention.copy_input(self.copy_gate(features), attn, src)
        if decoding.coverage_penalty:  # the change of Wu et al.'s cp(X; Y) this step: R
            mask = memory.mask
            if mask is not None and memory.group:
                mask = mask.repeat_interleave(memory.group, dim=0)
            penalty = coverage.penalty(state.coverage, mask, decoding.coverage_penalty)
            extra["coverage_penalty"] = penalty - state.penalty
            state = state._replace(penalty=penalty)
        self._set_cached(incremental_state, state)
        return features, attn, extra

    def _step_output(self, features: Tensor, attn: Optional[Tensor], decoding: Decoding,
                     extra: Dict[str, object]):
        """The logits of an incremental step, through the step's layers, and beside them
        ``extra`` (:meth:`_incremental_step`'s), the attention (when asked) and the list's
        ids."""
        layers = self._layers(decoding)
        need_attn = self.need_attn if decoding.need_attn is None else decoding.need_attn
        extra = {"attn": [attn if need_attn else None], **extra}
        if layers.project is not None:
            features = layers.project(features)
        if layers.output_ids is not None and not layers.positions:
            extra["output_ids"] = layers.output_ids  # the search's vocabulary stays V
        return layers.output(features), extra

    # ------------------------------------------------------------------ pieces
    def _memory(self, encoder_out, cached_keys: Optional[Tensor]) -> Memory:
        """The batch's :class:`Memory`: encoder outputs, their padding mask, projected
        attention keys (computed once per sentence: incremental decoding passes the cached
        ones, or, one row a sentence, keeps them in the output's :class:`SentenceRows`),
        Cho's context and the source tokens (copy attention), a row per hypothesis."""
        rows = encoder_out.get(SENTENCE_ROWS)
        group = rows.group if rows is not None else 0
        values = encoder_out["encoder_out"][0]  # B x S x C (n x S x C by sentence)
        mask = encoder_out["encoder_padding_mask"][0]  # B x S
        keys = None
        if self.attention is not None:
            if group:
                if rows.keys is None:  # once a batch; the layout keeps them
                    rows = rows._replace(keys=self.attention.project_keys(values))
                    encoder_out[SENTENCE_ROWS] = rows
                keys = rows.keys
            else:
                keys = (cached_keys if cached_keys is not None
                        else self.attention.project_keys(values))
        summary = None
        if self.context_every_step:
            top = encoder_out["final_hidden"][0][-1]  # D x B x H_enc (top layer)
            summary = top.permute(1, 0, 2).reshape(values.size(0), -1)  # B x C
            if group:  # n x C -> R x C
                summary = summary.repeat_interleave(group, dim=0)
        src = None
        if self.copy:  # what is copied: B x S, a row per hypothesis as the summary
            src = encoder_out["src_tokens"][0]
            if group:  # n x S -> R x S
                src = src.repeat_interleave(group, dim=0)
        return Memory(values=values, mask=mask if mask.any() else None, keys=keys,
                      summary=summary, group=group, src=src)

    def _initial_state(self, encoder_out, coverage_penalty: float = 0.0) -> StepState:
        final_c = encoder_out["final_cell"][0] if len(encoder_out["final_cell"]) else None
        h0, c0 = self.bridge(encoder_out["final_hidden"][0], final_c)  # L x B x H each
        bsz = h0.size(1)
        feed = h0.new_zeros(bsz, self.hidden_size) if self.input_feeding else None
        state = StepState(hidden=h0, cell=c0, input_feed=feed)
        rows = encoder_out.get(SENTENCE_ROWS)
        if rows is not None and rows.group > 1:  # per sentence -> per hypothesis, once a batch
            state = state.repeat_rows(rows.group)
        if self.coverage or coverage_penalty:  # R x S: no attention yet; cp(X; Y) so far (R)
            n_rows, src_len = state.hidden.size(1), encoder_out["encoder_out"][0].size(1)
            state = state._replace(
                coverage=h0.new_zeros(n_rows, src_len, dtype=torch.float32),
                penalty=h0.new_zeros(n_rows, dtype=torch.float32))
        return state

    def _embed(self, tokens: Tensor) -> Tensor:
        return F.dropout(self.embed_tokens(tokens), p=self.dropout, training=self.training)

    def _run_rnn(self, x: Tensor, state: StepState) -> Tuple[Tensor, StepState]:
        """The RNN over x B x T x I from ``state``: its output B x T x H (no dropout yet) and
        the new state. Contiguous states: input feeding passes row prefixes."""
        hidden = state.hidden.contiguous()
        hx = (hidden, state.cell.contiguous()) if self.cell == "lstm" else hidden
        out, hn = self.rnn(x, hx)  # out: B x T x H
        h, c = hn if self.cell == "lstm" else (hn, None)
        return out, state._replace(hidden=h, cell=c)

    def _attend(self, query: Tensor, memory: Memory, cover: Optional[Tensor] = None):
        """The attention of R x 1 x Q queries (``cover``: their coverage R x S, with
        --coverage); one row a sentence (``group`` k), as the n x k x Q queries of the n
        sentences."""
        group = memory.group
        if not group:
            cover = cover.unsqueeze(1) if cover is not None else None  # R x 1 x S
            return self.attention(query, memory.keys, memory.values, memory.mask, cover)
        rows = query.size(0)
        if cover is not None:
            cover = cover.view(rows // group, group, -1)  # n x k x S
        context, attn = self.attention(query.view(rows // group, group, -1), memory.keys,
                                       memory.values, memory.mask,
                                       cover)  # n x k x C, n x k x S
        return context.reshape(rows, 1, -1), attn.reshape(rows, 1, -1)

    def _readout(self, out: Tensor, emb: Tensor, context: Optional[Tensor],
                 combine: Optional[Layer] = None) -> Tensor:
        """The output layer's input for T steps: out B x T x H, emb B x T x E, context B x T x C."""
        if self.luong:
            combine = self.combine if combine is None else combine
            return torch.tanh(combine(torch.cat([context, out], dim=-1)))  # B x T x H
        if self.context_input:
            return torch.cat([out, context, emb], dim=-1)  # B x T x (H + C + E)
        return out  # B x T x H

    def _all_steps(self, tokens: Tensor, memory: Memory, state: StepState):
        """Every step in one RNN call and one batched attention (no step feeds the next)."""
        bsz, tgt_len = tokens.shape
        emb = self._embed(tokens)  # B x T x E
        x = emb
        context, attn = None, None
        if self.context_every_step:
            context = memory.summary.unsqueeze(1).expand(bsz, tgt_len, -1)  # B x T x C
            x = torch.cat([emb, context], dim=-1)
        out, _ = self._run_rnn(x, state)  # B x T x H
        out = F.dropout(out, p=self.dropout, training=self.training)
        if self.luong:
            context, attn = self.attention(out, memory.keys, memory.values, memory.mask)
        return self._readout(out, emb, context), attn

    def _steps(self, tokens: Tensor, memory: Memory, state: StepState, sample: bool):
        """:meth:`step` over the whole target; with ``sample`` some inputs are the model's
        own predictions (scheduled sampling)."""
        bsz, tgt_len = tokens.shape
        features, attns = [], []
        prev_pred = None
        for t in range(tgt_len):
            step_tokens = tokens[:, t:t + 1]  # B x 1
            if sample and prev_pred is not None:
                use_pred = torch.rand(bsz, 1, device=tokens.device) >= self.teacher_forcing_ratio
                step_tokens = torch.where(use_pred, prev_pred, step_tokens)
            feat, attn, state = self.step(self._embed(step_tokens), state, memory)  # B x 1 x F
            if sample:
                prev_pred = self._prediction(feat, attn, memory)  # B x 1
            features.append(feat)
            attns.append(attn)
        state = state._replace(keys=memory.keys)
        attn = torch.cat(attns, dim=1) if attns[0] is not None else None  # B x T x S
        return torch.cat(features, dim=1), attn, state

    def _prediction(self, feat: Tensor, attn: Optional[Tensor], memory: Memory) -> Tensor:
        """The most probable next token B x 1 of step features B x 1 x F (scheduled
        sampling): the output layer's, or with copy attention the mixture's."""
        logits = self.output_layer(feat)  # B x 1 x V
        if not self.copy:
            return logits.argmax(dim=-1)
        copy = copy_attention.copy_input(self.copy_gate(feat), attn, memory.src)
        return copy_attention.mix(F.log_softmax(logits.float(), dim=-1), copy).argmax(dim=-1)

    # ------------------------------------------------------------------ incremental state
    def _get_cached(self, incremental_state) -> Optional[StepState]:
        return self.get_incremental_state(incremental_state, "rnn_state")

    def _set_cached(self, incremental_state, state: StepState):
        self.set_incremental_state(incremental_state, "rnn_state", state)

    def reorder_incremental_state(self, incremental_state, new_order: Tensor):
        """Follow beam search's reordering of hypotheses (batch dimension of each tensor)."""
        state = self._get_cached(incremental_state)
        if state is None:
            return
        self._set_cached(incremental_state, state.rows(new_order))

    def make_generation_fast_(self, need_attn: bool = False, **kwargs):
        if need_attn and self.attention is None:
            # fairseq's alignment generator would fail on the missing attention (IndexError)
            raise ModelOptionError(
                f"--print-alignment: this model has no attention to align with (--attention "
                f"{self.attention_type}); drop --print-alignment")
        self.need_attn = need_attn   # as fairseq's LSTMDecoder

    def max_positions(self):
        return int(1e5)


_DEFAULT = Decoding()


def _spread_over_vocab(lp: Tensor, ids: Tensor, vocab: int) -> Tensor:
    """Log-probabilities over the vocabulary from log-probabilities over the target ids
    ``ids``: -inf for every other token."""
    full = lp.new_full(lp.shape[:-1] + (vocab,), float("-inf"))
    full.index_copy_(lp.dim() - 1, ids.to(lp.device), lp)
    return full
