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

The readout (what the output layer sees) follows each paper:

* Luong (dot / general):   h~_t = tanh(W_c [c_t; h_t])       (also the input-fed vector)
* Bahdanau (additive) and Cho (fixed context): [h_t; c_t; e_t] (a "deep output")
* no attention (Sutskever): h_t

Shapes: B batch, T target steps, S source length, E embedding size, H decoder hidden
size, C encoder output size (= directions x encoder hidden), L decoder layers, V vocab.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from fairseq.incremental_decoding_utils import with_incremental_state  # noqa: F401
from fairseq.models import FairseqIncrementalDecoder
from torch import Tensor

from fairseq_plugins.models import input_feeding
from fairseq_plugins.models.attention import build_attention
from fairseq_plugins.models.bridges import Bridge
from fairseq_plugins.models.rnn_encoder import build_rnn, cpu_autocast

State = Dict[str, Optional[Tensor]]


class RNNDecoder(FairseqIncrementalDecoder):
    #: set by --fast-decoding (fairseq_plugins.fast_decoding): a faster incremental step
    fast_step = None
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
        E, C = embed_tokens.embedding_dim, encoder_output_dim

        # Luong's attention is queried with the current state; Bahdanau's with the previous
        self.luong = cfg.attention in ("dot", "general")
        self.input_feeding = self.luong and bool(cfg.input_feeding)
        # a context vector (attention's or Cho's fixed one) that is also an RNN input
        self.context_input = cfg.attention == "additive" or self.context_every_step

        input_size = E + (H if self.input_feeding else 0) + (C if self.context_input else 0)
        self.rnn = build_rnn(cfg.cell, input_size, H, self.num_layers, cfg.dropout)
        self.attention = build_attention(cfg.attention, H, C, cfg.attention_dim or H)
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

    # ------------------------------------------------------------------ forward
    def forward(self, prev_output_tokens: Tensor, encoder_out: Dict[str, List[Tensor]],
                incremental_state: Optional[Dict[str, Dict[str, Optional[Tensor]]]] = None,
                **kwargs) -> Tuple[Tensor, Dict]:
        if incremental_state is not None and self.fast_step is not None:
            with cpu_autocast(self.cpu_bf16):
                return self.fast_step.step(self, prev_output_tokens, encoder_out,
                                           incremental_state)
        with cpu_autocast(self.cpu_bf16):  # logits B x T x V in bf16 under --cpu-bf16
            features, attn = self.extract_features(prev_output_tokens, encoder_out,
                                                   incremental_state)
            if incremental_state is not None and not self.need_attn:
                attn = None
            if incremental_state is None and self._input_fed_steps():
                # its padding positions hold no features: only the real ones are scored
                logits = input_feeding.output_layer(self, features, prev_output_tokens)
                return logits, {"attn": [attn]}
            return self.output_layer(features), {"attn": [attn]}

    def extract_features(self, prev_output_tokens, encoder_out, incremental_state=None):
        cached = self._get_cached(incremental_state) if incremental_state is not None else None
        memory = self._memory(encoder_out, cached["keys"] if cached is not None else None)
        if incremental_state is not None:
            state = cached if cached is not None else self._initial_state(encoder_out)
            tokens = prev_output_tokens[:, -1:]  # B x 1: fairseq passes the whole prefix
            features, attn, state = self._steps(tokens, memory, state, sample=False)
            self._set_cached(incremental_state, state)
            return features, attn
        state = self._initial_state(encoder_out)
        sampling = self.training and self.teacher_forcing_ratio < 1.0
        if self._input_fed_steps():  # skips the padding's steps
            features, attn = input_feeding.input_fed_steps(self, prev_output_tokens, memory, state)
        elif self.input_feeding or self.attention_type == "additive" or sampling:
            features, attn, _ = self._steps(prev_output_tokens, memory, state, sample=sampling)
        else:
            features, attn = self._all_steps(prev_output_tokens, memory, state)
        return features, attn

    def get_normalized_probs(self, net_output, log_probs, sample=None):
        if isinstance(net_output[1], dict) and net_output[1].get("shortlist") is not None:
            from fairseq_plugins.fast_decoding import normalized_shortlist_probs

            return normalized_shortlist_probs(net_output[0], net_output[1]["shortlist"],
                                              len(self.dictionary), log_probs)
        return super().get_normalized_probs(net_output, log_probs, sample)

    def _input_fed_steps(self) -> bool:
        """Whether a whole-target forward runs input_feeding.input_fed_steps."""
        sampling = self.training and self.teacher_forcing_ratio < 1.0
        return not sampling and input_feeding.supports(self)

    def output_layer(self, features: Tensor) -> Tensor:
        # features: B x T x F -> logits B x T x V
        if self.output_projection is not None:
            return self.output_projection(features)
        if self.out_proj is not None:
            features = self.out_proj(features)  # B x T x E
        return F.linear(features, self.embed_tokens.effective_weight())

    # ------------------------------------------------------------------ pieces
    def _memory(self, encoder_out, cached_keys: Optional[Tensor]) -> Dict[str, Optional[Tensor]]:
        """Encoder outputs, their padding mask, projected attention keys (computed once per
        sentence: incremental decoding passes the cached ones), Cho's context."""
        values = encoder_out["encoder_out"][0]  # B x S x C
        mask = encoder_out["encoder_padding_mask"][0]  # B x S
        keys = None
        if self.attention is not None:
            keys = cached_keys if cached_keys is not None else self.attention.project_keys(values)
        summary = None
        if self.context_every_step:
            top = encoder_out["final_hidden"][0][-1]  # D x B x H_enc (top layer)
            summary = top.permute(1, 0, 2).reshape(values.size(0), -1)  # B x C
        return {"values": values, "mask": mask if mask.any() else None, "keys": keys,
                "summary": summary}

    def _initial_state(self, encoder_out) -> State:
        final_c = encoder_out["final_cell"][0] if len(encoder_out["final_cell"]) else None
        h0, c0 = self.bridge(encoder_out["final_hidden"][0], final_c)  # L x B x H each
        bsz = h0.size(1)
        return {
            "hidden": h0,
            "cell": c0,
            "input_feed": h0.new_zeros(bsz, self.hidden_size) if self.input_feeding else None,
            "keys": None,
        }

    def _embed(self, tokens: Tensor) -> Tensor:
        return F.dropout(self.embed_tokens(tokens), p=self.dropout, training=self.training)

    def _rnn(self, x: Tensor, state: State) -> Tuple[Tensor, State]:
        hx = (state["hidden"], state["cell"]) if self.cell == "lstm" else state["hidden"]
        out, hn = self.rnn(x, hx)  # out: B x T x H
        h, c = hn if self.cell == "lstm" else (hn, None)
        new_state = dict(state)
        new_state["hidden"], new_state["cell"] = h, c
        return F.dropout(out, p=self.dropout, training=self.training), new_state

    def _readout(self, out: Tensor, emb: Tensor, context: Optional[Tensor]) -> Tensor:
        """The output layer's input for T steps: out B x T x H, emb B x T x E, context B x T x C."""
        if self.luong:
            return torch.tanh(self.combine(torch.cat([context, out], dim=-1)))  # B x T x H
        if self.context_input:
            return torch.cat([out, context, emb], dim=-1)  # B x T x (H + C + E)
        return out  # B x T x H

    def _all_steps(self, tokens: Tensor, memory, state: State):
        """Every step in one RNN call and one batched attention (no step feeds the next)."""
        bsz, tgt_len = tokens.shape
        emb = self._embed(tokens)  # B x T x E
        x = emb
        context, attn = None, None
        if self.context_every_step:
            context = memory["summary"].unsqueeze(1).expand(bsz, tgt_len, -1)  # B x T x C
            x = torch.cat([emb, context], dim=-1)
        out, _ = self._rnn(x, state)  # B x T x H
        if self.luong:
            context, attn = self.attention(out, memory["keys"], memory["values"], memory["mask"])
        return self._readout(out, emb, context), attn

    def _steps(self, tokens: Tensor, memory, state: State, sample: bool):
        """Step-by-step loop; with ``sample`` some inputs are the model's own predictions."""
        bsz, tgt_len = tokens.shape
        features, attns = [], []
        prev_pred = None
        for t in range(tgt_len):
            step_tokens = tokens[:, t:t + 1]  # B x 1
            if sample and prev_pred is not None:
                use_pred = torch.rand(bsz, 1, device=tokens.device) >= self.teacher_forcing_ratio
                step_tokens = torch.where(use_pred, prev_pred, step_tokens)
            emb = self._embed(step_tokens)  # B x 1 x E
            parts, context, attn = [emb], None, None
            if self.input_feeding:
                parts.append(state["input_feed"].unsqueeze(1))  # B x 1 x H
            if self.attention_type == "additive":
                query = state["hidden"][-1].unsqueeze(1)  # B x 1 x H: previous top state
                context, attn = self.attention(query, memory["keys"], memory["values"],
                                               memory["mask"])
            elif self.context_every_step:
                context = memory["summary"].unsqueeze(1)  # B x 1 x C
            if context is not None:
                parts.append(context)
            out, state = self._rnn(torch.cat(parts, dim=-1), state)  # B x 1 x H
            if self.luong:
                context, attn = self.attention(out, memory["keys"], memory["values"],
                                               memory["mask"])
            feat = self._readout(out, emb, context)  # B x 1 x F
            if self.input_feeding:
                state["input_feed"] = feat.squeeze(1)
            if sample:
                prev_pred = self.output_layer(feat).argmax(dim=-1)  # B x 1
            features.append(feat)
            attns.append(attn)
        state["keys"] = memory["keys"]
        attn = torch.cat(attns, dim=1) if attns[0] is not None else None  # B x T x S
        return torch.cat(features, dim=1), attn, state

    # ------------------------------------------------------------------ incremental state
    def _get_cached(self, incremental_state) -> Optional[State]:
        cached = self.get_incremental_state(incremental_state, "rnn_state")
        return dict(cached) if cached is not None else None

    def _set_cached(self, incremental_state, state: State):
        self.set_incremental_state(incremental_state, "rnn_state", state)

    def reorder_incremental_state(self, incremental_state, new_order: Tensor):
        """Follow beam search's reordering of hypotheses (batch dimension of each tensor)."""
        state = self._get_cached(incremental_state)
        if state is None:
            return
        batch_dim = {"hidden": 1, "cell": 1, "input_feed": 0, "keys": 0}
        for key, dim in batch_dim.items():
            if state.get(key) is not None:
                state[key] = state[key].index_select(dim, new_order)
        self._set_cached(incremental_state, state)

    def make_generation_fast_(self, need_attn: bool = False, **kwargs):
        self.need_attn = need_attn   # as fairseq's LSTMDecoder

    def max_positions(self):
        return int(1e5)
