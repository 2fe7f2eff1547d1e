"""Coverage: the sum of a sentence's past attention over each source position.

Three uses (each off by default):

* ``--coverage 1`` feeds it to the attention's scores (See et al. 2017; Tu et al. 2016),
  :mod:`fairseq_plugins.models.attention`, and adds See et al.'s coverage loss
  sum_t sum_i min(a_t,i, c_t,i), times ``--coverage-loss-weight``, to the training loss
  (:func:`coverage_loss`; :mod:`fairseq_plugins.criterions.coverage_loss` adds it to any
  criterion's);
* ``--coverage-penalty BETA`` (a generation option, any model with attention) is Wu et
  al. (2016)'s cp(X; Y) = BETA sum_i log(min(sum_t a_t,i, 1)) in the beam's score:
  :func:`penalty`; the decoder adds each step's change of it to the step's
  log-probabilities, so that a hypothesis's score is log P(Y|X) + cp(X; Y) at every step.

Shapes: B batch, T target steps, S source length.
"""
from typing import Optional

import torch
from torch import Tensor

#: the coverage below which a source position counts as this covered in the penalty: a
#: softmax can give a weight of exactly 0 in fp32, and log 0 would end every hypothesis
PENALTY_FLOOR = 1e-6


def coverage_loss(attn: Tensor, real: Tensor) -> Tensor:
    """See et al.'s coverage loss, summed over the real target positions ``real`` B x T:
    sum_t sum_i min(a_t,i, c_t,i), with c_t = a_1 + ... + a_{t-1}. ``attn`` B x T x S."""
    attn = attn.float()
    before = attn.cumsum(dim=1) - attn  # B x T x S: c_t, the attention of the steps before t
    per_step = torch.minimum(attn, before).sum(dim=-1)  # B x T
    return (per_step * real.to(per_step.dtype)).sum()


def penalty(coverage: Tensor, padding_mask: Optional[Tensor], beta: float) -> Tensor:
    """Wu et al.'s cp = beta sum_i log(min(c_i, 1)) over the real source positions, B."""
    logs = coverage.float().clamp(min=PENALTY_FLOOR, max=1.0).log()  # B x S
    if padding_mask is not None:
        logs = logs.masked_fill(padding_mask, 0.0)
    return beta * logs.sum(dim=-1)
