"""Input feeding's training forward: the step loop over only the sentences still running.

With input feeding (Luong et al., 2015) step t's RNN input is [e_t; h~_{t-1}], the previous
step's attentional vector, so the decoder runs one step at a time (:meth:`RNNDecoder.step`).
Over a whole target that loop also computes every padding position of the shorter
sentences, in the RNN, the attention and the combination layer alike (docs/speed.md says
how many in the benchmark's batches). :func:`input_fed_steps` computes the same features
without them:

* the rows are sorted longest target first, so the sentences still running at step t are
  the first n_t rows, and each step (the decoder's own :meth:`RNNDecoder.step`) runs on
  that prefix (as a packed sequence does);
* features and attention of a padding position are zero, and :func:`output_layer` scores
  only the real positions (padding's logits are zero): no criterion reads them, their
  targets being padding too;
* the dropout masks of every step are drawn before the loop, for all rows and in the order
  :meth:`_steps` draws them, so a seed gives the same masks, hence the same loss and
  gradients.

Used for training and for scoring whole targets; incremental decoding (one step at a time)
and scheduled sampling (inputs that depend on predictions) keep :meth:`_steps`.

Shapes: B batch, T target steps, n_t sentences running at step t, S source length,
E embedding size, H decoder hidden size, C encoder output size, L decoder layers.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from fairseq_plugins.models.step_inputs import Memory, StepState


def supports(decoder) -> bool:
    """Whether :func:`input_fed_steps` computes this decoder's forward exactly.

    Between the layers of a multi-layer RNN ``nn.LSTM`` draws its own dropout masks inside
    each step, which cannot be drawn ahead in the same order: such a decoder keeps
    :meth:`_steps` while it trains with dropout.
    """
    draws_inside = decoder.training and decoder.num_layers > 1 and decoder.dropout > 0
    return decoder.input_feeding and 0 <= decoder.dropout < 1 and not draws_inside


def input_fed_steps(decoder, tokens: Tensor, memory: Memory,
                    state: StepState) -> Tuple[Tensor, Tensor]:
    """Features B x T x H and attention B x T x S, as ``decoder._steps`` computes them at
    every real target position (zero at padding)."""
    bsz, tgt_len = tokens.shape
    running, order = _running(tokens, decoder.dictionary.pad())
    emb_masks, out_masks = _dropout_masks(decoder, bsz, tgt_len, tokens.device)  # B x T x .

    def rows(x: Optional[Tensor], dim: int = 0) -> Optional[Tensor]:
        return x.index_select(dim, order) if x is not None and order is not None else x

    emb = decoder.embed_tokens(tokens)  # B x T x E
    if emb_masks is not None:
        emb = emb * emb_masks
    # unbind, not emb[:, t] per step: its backward stacks the T gradients once instead of
    # writing each into a zero-filled B x T x E tensor
    embs = rows(emb).unbind(1)  # T x (B x E)
    outs_masks = rows(out_masks).unbind(1) if out_masks is not None else None
    step_state, step_memory = state.rows(order), memory.rows(order)  # longest first
    features: List[Tensor] = []
    attns: List[Tensor] = []
    for t, n in enumerate(running):
        if n < step_state.input_feed.size(0):  # sentences ended: keep the first n rows
            step_state, step_memory = step_state.prefix(n), step_memory.prefix(n)
        emb_t = embs[t][:n].unsqueeze(1)  # n x 1 x E
        out_mask = outs_masks[t][:n].unsqueeze(1) if outs_masks is not None else None
        feat, attn, step_state = decoder.step(emb_t, step_state, step_memory,
                                              out_mask=out_mask)  # n x 1 x H, n x 1 x S
        features.append(F.pad(feat.squeeze(1), (0, 0, 0, bsz - n)))  # B x H, zero rows
        attns.append(F.pad(attn.squeeze(1), (0, 0, 0, bsz - n)))  # B x S
    features_bth, attn_bts = torch.stack(features, 1), torch.stack(attns, 1)
    if order is not None:  # back to the caller's row order
        inverse = order.argsort()
        features_bth, attn_bts = features_bth[inverse], attn_bts[inverse]
    return features_bth, attn_bts  # B x T x H, B x T x S


def output_layer(decoder, features: Tensor, tokens: Tensor) -> Tensor:
    """Logits B x T x V of the real positions of ``tokens`` (B x T), zero at padding: the
    output layer, the largest product of a step, skips what input_fed_steps skipped."""
    real = tokens.ne(decoder.dictionary.pad())  # B x T
    if bool(real.all()):
        return decoder.output_layer(features)
    logits = decoder.output_layer(features[real])  # N x V, N real positions
    return logits.new_zeros(*tokens.shape, logits.size(-1)).index_put((real,), logits)


def _running(tokens: Tensor, pad: int) -> Tuple[List[int], Optional[Tensor]]:
    """How many sentences run at each step, and the row order (longest first, stable) that
    makes them a prefix. ([B] * T, None) when no row ends early or when the targets are not
    right-padded (``--left-pad-target``): then every row runs every step."""
    bsz, tgt_len = tokens.shape
    real = tokens.ne(pad)  # B x T
    lengths = real.sum(1)  # B
    steps = torch.arange(tgt_len, device=tokens.device)
    right_padded = bool(torch.equal(real, steps < lengths.unsqueeze(1)))
    if not right_padded or bool((lengths == tgt_len).all()):
        return [bsz] * tgt_len, None
    lengths, order = lengths.sort(descending=True, stable=True)
    running = (lengths.unsqueeze(0) > steps.unsqueeze(1)).sum(1)  # T
    return running.tolist(), order


def _dropout_masks(decoder, bsz: int, tgt_len: int, device):
    """The embedding's (B x T x E) and the RNN output's (B x T x H) dropout masks, scaled by
    1 / (1 - p) as F.dropout scales them, drawn step by step in :meth:`_steps`' order
    (embedding, then output); (None, None) when no dropout is drawn."""
    p = decoder.dropout
    if not decoder.training or p == 0:
        return None, None
    emb_dim, hidden = decoder.embed_tokens.embedding_dim, decoder.hidden_size

    def draw(size: int) -> Tensor:  # what F.dropout draws for a B x 1 x size input
        return torch.empty(bsz, 1, size, device=device).bernoulli_(1 - p).div_(1 - p)

    emb, out = [], []
    for _ in range(tgt_len):
        emb.append(draw(emb_dim))
        out.append(draw(hidden))
    return torch.cat(emb, 1), torch.cat(out, 1)
