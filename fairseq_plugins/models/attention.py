"""Attention over encoder outputs: Luong's ``dot`` and ``general``, Bahdanau's ``additive``.

Every variant shares one interface so the decoder can swap them freely:

* ``project_keys(values)`` runs once per source batch and precomputes whatever depends
  only on the encoder outputs (``W_a h_j`` for general, ``W_k h_j`` for additive), so that
  neither the batched path nor each incremental decoding step recomputes it;
* ``forward(query, keys, values, padding_mask)`` scores any number of query steps at once:
  ``T = 1`` inside the step-by-step loop, ``T = tgt_len`` when the decoder ran over the
  whole target in one call (queries are then all known up front, so attention of every
  step is one batched matrix product).

With ``--coverage 1`` (:mod:`fairseq_plugins.models.coverage`) each variant also reads
the coverage c_i of each source position, the sum of the step's past attention, through a
learned vector w_c:

* additive (See et al. 2017): score = v^T tanh(W_q s + W_k h_j + w_c c_j);
* dot and general: score = q . (k_j + w_c c_j), i.e. the score plus (q . w_c) c_j.

Shapes: B batch, S source length, T query steps, Q query size, E encoder output size.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from fairseq_plugins.errors import ModelOptionError


class Attention(nn.Module):
    """Base class: masked softmax and the weighted sum are the same for all scores."""

    def __init__(self):
        super().__init__()
        # w_c, the coverage's weight (None without --coverage, which keeps the parameters
        # and the checkpoints of models without it as they were); its size is the
        # query's (dot, general) or the attention's (additive)
        self.register_parameter("coverage_weight", None)

    def enable_coverage(self, size: int):
        self.coverage_weight = nn.Parameter(torch.empty(size).uniform_(-0.1, 0.1))

    def project_keys(self, values: Tensor) -> Tensor:
        return values

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        raise NotImplementedError

    def score_coverage(self, query: Tensor, keys: Tensor, coverage: Tensor) -> Tensor:
        """The score with coverage B x T x S (dot, general: plus (q . w_c) c_j)."""
        scores = self.score(query, keys)  # B x T x S
        return scores + torch.matmul(query, self.coverage_weight).unsqueeze(-1) * coverage

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor, padding_mask: Optional[Tensor],
        coverage: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Tensor]:
        # query: B x T x Q   keys: B x S x K   values: B x S x E   padding_mask: B x S
        # coverage: B x T x S (with --coverage 1)
        if coverage is not None:
            scores = self.score_coverage(query, keys, coverage.to(query.dtype))
        else:
            scores = self.score(query, keys)  # B x T x S
        if padding_mask is not None:
            # -inf, not a large negative number: padded positions get exactly zero weight,
            # which is what makes extra padding change no output
            scores = scores.masked_fill(padding_mask.unsqueeze(1), float("-inf"))
        weights = F.softmax(scores.float(), dim=-1).type_as(scores)  # B x T x S
        context = torch.bmm(weights, values)  # B x T x E
        return context, weights


class DotAttention(Attention):
    """Luong et al. (2015) ``dot``: score = h_t . h_j (query and key sizes must match)."""

    def __init__(self, query_dim: int, value_dim: int):
        super().__init__()
        if query_dim != value_dim:
            raise ModelOptionError(
                f"dot attention needs the decoder hidden size ({query_dim}) to equal the "
                f"encoder output size ({value_dim}); use --attention general or change sizes"
            )

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return torch.bmm(query, keys.transpose(1, 2))  # B x T x S


class GeneralAttention(Attention):
    """Luong et al. (2015) ``general``: score = h_t^T W_a h_j, with W_a h_j precomputed."""

    def __init__(self, query_dim: int, value_dim: int):
        super().__init__()
        self.key_proj = nn.Linear(value_dim, query_dim, bias=False)

    def project_keys(self, values: Tensor) -> Tensor:
        return self.key_proj(values)  # B x S x Q

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return torch.bmm(query, keys.transpose(1, 2))  # B x T x S


class AdditiveAttention(Attention):
    """Bahdanau et al. (2015): score = v^T tanh(W_q s + W_k h_j), with W_k h_j precomputed."""

    def __init__(self, query_dim: int, value_dim: int, attention_dim: int):
        super().__init__()
        self.key_proj = nn.Linear(value_dim, attention_dim, bias=False)
        self.query_proj = nn.Linear(query_dim, attention_dim, bias=True)
        self.v = nn.Linear(attention_dim, 1, bias=False)

    def project_keys(self, values: Tensor) -> Tensor:
        return self.key_proj(values)  # B x S x A

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        q = self.query_proj(query).unsqueeze(2)  # B x T x 1 x A
        energy = torch.tanh(q + keys.unsqueeze(1))  # B x T x S x A
        return self.v(energy).squeeze(-1)  # B x T x S

    def score_coverage(self, query: Tensor, keys: Tensor, coverage: Tensor) -> Tensor:
        q = self.query_proj(query).unsqueeze(2)  # B x T x 1 x A
        cov = coverage.unsqueeze(-1) * self.coverage_weight  # B x T x S x A
        energy = torch.tanh(q + keys.unsqueeze(1) + cov)  # B x T x S x A
        return self.v(energy).squeeze(-1)  # B x T x S


ATTENTION_CHOICES = ("none", "dot", "general", "additive")


def build_attention(kind: str, query_dim: int, value_dim: int, attention_dim: int,
                    coverage: bool = False):
    """Return the attention module for ``kind`` (None for ``none``), reading the coverage
    with ``coverage``."""
    if kind == "none":
        return None
    if kind == "dot":
        attention = DotAttention(query_dim, value_dim)
    elif kind == "general":
        attention = GeneralAttention(query_dim, value_dim)
    elif kind == "additive":
        attention = AdditiveAttention(query_dim, value_dim, attention_dim)
    else:
        raise ModelOptionError(f"unknown attention {kind!r}; "
                               f"choose one of {', '.join(ATTENTION_CHOICES)}")
    if coverage:
        attention.enable_coverage(attention_dim if kind == "additive" else query_dim)
    return attention
