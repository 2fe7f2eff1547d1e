"""Copy attention (``--copy-attention 1``): the pointer-generator of See et al. (2017).

A learned gate mixes the output layer's distribution with the attention over the source
tokens, each source position's weight going to the token it holds:

    P(w) = p_gen P_vocab(w) + (1 - p_gen) sum_{i: x_i = w} a_i,    p_gen = sigmoid(w_g . f_t + b_g)

``f_t`` is the step's readout, what the output layer reads (Luong's attentional vector
tanh(W_c [c_t; h_t]), or Bahdanau's [h_t; c_t; e_t], which is See et al.'s input to the
gate), as OpenNMT-py's copy generator reads its decoder output. The decoder returns the
gate's logit, the attention and the source tokens beside its logits (``extra["copy"]``);
:meth:`RNNDecoder.get_normalized_probs`, which fairseq's criteria and generators call, runs
:func:`mix`. Source and target must share one dictionary: a source token's id is the
target id it is copied as.

Shapes: B batch, T target steps, S source length, V vocabulary (or the K entries of a
shortlist the search runs over).
"""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor

#: the smallest probability taken the logarithm of; a source token nothing is copied onto
#: (its positions all padding, or all of its attention 0) gets log 0 = -inf without a
#: gradient through the logarithm (which would be inf x 0 = nan)
_TINY = 1e-30


def copy_input(gate_logit: Tensor, attn: Tensor, index: Tensor) -> Dict[str, Tensor]:
    """What :func:`mix` reads: the gate's logit B x T x 1, the attention B x T x S and, for
    each source position, the entry of the output it is copied onto, B x S."""
    return {"gate": gate_logit, "attn": attn, "index": index}


def mix(lprobs: Tensor, copy: Dict[str, Tensor]) -> Tensor:
    """log P(w) from the output layer's log-probabilities ``lprobs`` B x T x V (fp32), in
    log space: log(p_gen P_vocab + (1 - p_gen) P_copy).

    P_copy is zero outside the source's (at most S) tokens, so the mixture is
    log p_gen + log P_vocab over the vocabulary, and is computed over B x T x S only where a
    source token sits: one pass over the V-wide tensor, which a B x T x V scatter of the
    attention would have taken several of (it tripled the time of a training step).
    """
    gate = copy["gate"].float()  # B x T x 1
    attn = copy["attn"].float()  # B x T x S
    index = copy["index"]  # B x S
    same = index.unsqueeze(2) == index.unsqueeze(1)  # B x S x S: positions holding one token
    copied = torch.bmm(attn, same.to(attn.dtype))  # B x T x S: a_i summed over its token
    log_copied = torch.where(copied > 0, copied.clamp_min(_TINY).log(),
                             torch.full_like(copied, -float("inf")))
    at_source = index.unsqueeze(1).expand(-1, attn.size(1), -1)  # B x T x S
    log_p_gen = F.logsigmoid(gate)
    generated = log_p_gen + lprobs.gather(-1, at_source)  # B x T x S
    copy_part = F.logsigmoid(-gate) + log_copied  # B x T x S
    out = log_p_gen + lprobs  # B x T x V: log p_gen P_vocab
    if not bool(torch.isfinite(generated).all()):
        # a source token the output layer gives log 0 (outside a shortlist; never in
        # training): adding to -inf cannot lift it, so the mixture is written instead
        return out.scatter_(-1, at_source, torch.logaddexp(generated, copy_part))
    # log(e^g + e^c) - g = softplus(c - g): what the copy adds to a source token's log P;
    # a token at several positions gets it once (at its first position)
    first = ~same.tril(diagonal=-1).any(dim=-1)  # B x S
    added = F.softplus(copy_part - generated).masked_fill(~first.unsqueeze(1), 0.0)
    return out.scatter_add_(-1, at_source, added)
