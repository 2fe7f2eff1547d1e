"""RNN encoder (LSTM or GRU, uni- or bidirectional) that never runs over padding.

The recurrence stops at each sentence's last real token, so the final states and every
output are independent of how much padding the batch has: sentences are run in groups of
equal length (fast, fused kernels), or as a packed sequence when a batch has many
different lengths. fairseq pads sources on the left by default while both ways want them
on the right: the tokens are gathered into right-padded order for the RNN and the
outputs scattered back, so that attention positions line up with ``src_tokens`` as the
generator sees them (``--print-alignment`` and ``--replace-unk`` index the source by
those positions).
"""
import contextlib
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from fairseq.models import FairseqEncoder
from torch import Tensor


def build_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float,
              bidirectional: bool = False) -> nn.RNNBase:
    rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
    return rnn_class(
        input_size, hidden_size, num_layers=num_layers, batch_first=True,
        dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional,
    )


def cpu_autocast(enabled: bool):
    """bf16 autocast for CPU ops (``--cpu-bf16``); CUDA ops are untouched (use --amp/--fp16).

    Matrix products and RNN kernels run in bf16: fast on CPUs with AMX, slower than fp32
    on one with AVX-512 bf16 alone (scripts/cpu_bf16_pays.py measures it). fairseq's
    log-softmax, and so the loss and the beam scores, stay in fp32. Off, it is
    no context at all: ``torch.autocast(enabled=False)`` would switch off an autocast the
    caller opened around the model.
    """
    return torch.autocast("cpu", dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


def right_pad_order(padding_mask: Tensor) -> Tensor:
    """Indices that move real tokens to the front of each row, keeping their order.

    Works for left, right or any padding; a stable sort of the 0/1 mask does it.
    """
    return torch.sort(padding_mask.to(torch.uint8), dim=1, stable=True).indices  # B x S


class RNNEncoder(FairseqEncoder):
    def __init__(self, dictionary, embed_tokens, cell: str, hidden_size: int, num_layers: int,
                 bidirectional: bool, dropout: float, cpu_bf16: bool = False):
        super().__init__(dictionary)
        self.embed_tokens = embed_tokens
        self.padding_idx = dictionary.pad()
        self.cell = cell
        self.num_layers = num_layers
        self.directions = 2 if bidirectional else 1
        self.hidden_size = hidden_size
        self.output_dim = hidden_size * self.directions
        self.dropout = dropout
        self.rnn = build_rnn(cell, embed_tokens.embedding_dim, hidden_size, num_layers,
                             dropout, bidirectional)
        # above this many distinct source lengths in a batch, pack instead (see _run_by_length)
        self.max_length_groups = 8
        self.cpu_bf16 = cpu_bf16  # --cpu-bf16: forward under CPU bf16 autocast

    def forward(self, src_tokens: Tensor, src_lengths: Optional[Tensor] = None, **kwargs):
        with cpu_autocast(self.cpu_bf16):
            return self._forward(src_tokens)

    def _forward(self, src_tokens: Tensor):
        bsz, src_len = src_tokens.shape
        padding_mask = src_tokens.eq(self.padding_idx)  # B x S
        # an all-padding row (never made by fairseq, which always appends eos) runs as length 1
        lengths = (~padding_mask).sum(dim=1).clamp(min=1)  # B
        order = right_pad_order(padding_mask)  # B x S
        tokens = src_tokens.gather(1, order)  # B x S, right-padded

        x = self.embed_tokens(tokens)                                  # B x S x C
        x = F.dropout(x, p=self.dropout, training=self.training)
        groups = lengths.unique()
        if len(groups) <= self.max_length_groups:
            out, final = self._run_by_length(x, lengths, groups)
        else:
            out, final = self._run_packed(x, lengths, src_len)
        out = F.dropout(out, p=self.dropout, training=self.training)  # B x S x D*H, right-padded
        # back to the caller's positions: out[b, order[b, j]] = right_padded[b, j]
        inverse = order.argsort(dim=1)
        out = out.gather(1, inverse.unsqueeze(-1).expand_as(out))  # B x S x D*H

        h, c = (final if self.cell == "lstm" else (final, None))
        # L*D x B x H -> L x D x B x H (PyTorch orders layer-major, then direction)
        h = h.view(self.num_layers, self.directions, bsz, self.hidden_size)
        if c is not None:
            c = c.view(self.num_layers, self.directions, bsz, self.hidden_size)

        return {
            "encoder_out": [out],  # B x S x D*H
            "encoder_padding_mask": [padding_mask],  # B x S
            "final_hidden": [h],  # L x D x B x H
            "final_cell": [c] if c is not None else [],
            "src_tokens": [src_tokens],  # B x S: what copy attention copies
        }

    def _run_by_length(self, x: Tensor, lengths: Tensor, groups: Tensor):
        """One dense RNN call per distinct source length: no padding inside any call.

        fairseq batches sentences of similar source length together, so a batch has only
        a few distinct lengths; a dense call uses the fused kernel (oneDNN on a CPU, cuDNN
        on a GPU), while a packed sequence falls back to a step-by-step loop on a CPU and
        took more than half of a training step there.
        """
        bsz, src_len, _ = x.shape
        out = x.new_zeros(bsz, src_len, self.output_dim)  # B x S x D*H, right-padded
        h_n = x.new_zeros(self.num_layers * self.directions, bsz, self.hidden_size)
        c_n = torch.zeros_like(h_n) if self.cell == "lstm" else None
        for n in groups.tolist():
            rows = (lengths == n).nonzero().squeeze(1)  # sentences of length n
            o, hn = self.rnn(x[rows, :n])  # b x n x D*H: no padding at all
            # under torch.autocast the RNN answers in bf16/fp16: keep the buffers' dtype
            out = out.index_put((rows,), F.pad(o, (0, 0, 0, src_len - n)).to(out.dtype))
            h, c = hn if self.cell == "lstm" else (hn, None)
            h_n = h_n.index_copy(1, rows, h.to(h_n.dtype))
            if c is not None:
                c_n = c_n.index_copy(1, rows, c.to(c_n.dtype))
        return out, ((h_n, c_n) if self.cell == "lstm" else h_n)

    def _run_packed(self, x: Tensor, lengths: Tensor, src_len: int):
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        packed_out, final = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True,
                                                  total_length=src_len)
        return out, final

    def reorder_encoder_out(self, encoder_out: Dict[str, List[Tensor]], new_order: Tensor):
        """Select batch rows for beam search (beam expansion and finished hypotheses): a row
        per hypothesis. (``--fast-decoding``'s search keeps one row a sentence instead:
        :mod:`fairseq_plugins.decoding.beam_layout`.)"""
        return self.select_rows(encoder_out, new_order)

    def select_rows(self, encoder_out: Dict[str, List[Tensor]], new_order: Tensor):
        """Rows ``new_order`` of the encoder's output (fairseq's layout: one per hypothesis)."""
        def pick(key, dim):
            return [t.index_select(dim, new_order) for t in encoder_out[key]]

        return {
            "encoder_out": pick("encoder_out", 0),
            "encoder_padding_mask": pick("encoder_padding_mask", 0),
            "final_hidden": pick("final_hidden", 2),
            "final_cell": pick("final_cell", 2),
            "src_tokens": pick("src_tokens", 0) if "src_tokens" in encoder_out else [],
        }

    def max_positions(self):
        return int(1e5)
