"""fairseq_plugins.models.attention: dot, general and additive attention on random tensors.

Shapes: B batch, T query steps, S source length, Q query size, E encoder output size.
"""
import pytest
import torch

from fairseq_plugins.models.attention import (AdditiveAttention, DotAttention,
                                              GeneralAttention, build_attention)

B, T, S, Q, E, A = 3, 4, 5, 6, 6, 7
KINDS = ("dot", "general", "additive")


def inputs(seed=0):
    """query B x T x Q, values B x S x E, and a B x S padding mask (lengths 5, 3, 1)."""
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, T, Q, generator=g)
    values = torch.randn(B, S, E, generator=g)
    lengths = torch.tensor([5, 3, 1])
    padding_mask = torch.arange(S)[None, :] >= lengths[:, None]  # True = padding
    return query, values, padding_mask


def attend(attention, query, values, padding_mask):
    return attention(query, attention.project_keys(values), values, padding_mask)


@pytest.fixture(params=KINDS)
def attention(request):
    torch.manual_seed(1)
    return build_attention(request.param, Q, E, A)


def test_shapes(attention):
    """context B x T x E, weights B x T x S."""
    context, weights = attend(attention, *inputs())
    assert context.shape == (B, T, E) and weights.shape == (B, T, S)


def test_weights_are_a_distribution_over_the_source(attention):
    _, weights = attend(attention, *inputs())
    assert (weights >= 0).all()
    assert torch.allclose(weights.sum(-1), torch.ones(B, T), atol=1e-6)


def test_padding_gets_exactly_zero_weight(attention):
    query, values, mask = inputs()
    _, weights = attend(attention, query, values, mask)
    assert (weights[mask.unsqueeze(1).expand(B, T, S)] == 0).all()
    assert (weights[~mask.unsqueeze(1).expand(B, T, S)] > 0).all()
    assert torch.equal(weights[2, :, 0], torch.ones(T))  # one real token takes it all


def test_padded_values_do_not_reach_the_context(attention):
    """Whatever the padded positions hold, context and weights stay the same."""
    query, values, mask = inputs()
    context, weights = attend(attention, query, values, mask)
    garbage = values.masked_fill(mask.unsqueeze(-1), 1e4)
    context2, weights2 = attend(attention, query, garbage, mask)
    assert torch.allclose(context, context2, atol=1e-6) and torch.equal(weights, weights2)


def test_all_steps_at_once_equal_one_step_at_a_time(attention):
    """The batched path (T steps in one call) = the incremental path (T calls of 1 step)."""
    query, values, mask = inputs()
    context, weights = attend(attention, query, values, mask)
    for t in range(T):
        c_t, w_t = attend(attention, query[:, t:t + 1], values, mask)
        assert torch.allclose(c_t[:, 0], context[:, t], atol=1e-6)
        assert torch.allclose(w_t[:, 0], weights[:, t], atol=1e-6)


def test_no_mask_attends_everywhere(attention):
    query, values, _ = inputs()
    _, weights = attend(attention, query, values, None)
    assert (weights > 0).all()


def reference(scores, values, mask):
    """softmax over unpadded positions, then the weighted sum, one sentence at a time."""
    out = torch.empty(B, T, values.size(-1))
    for b in range(B):
        keep = ~mask[b]
        w = torch.softmax(scores[b][:, keep], dim=-1)  # T x S_b
        out[b] = w @ values[b][keep]
    return out


def test_dot_scores_are_query_dot_value():
    query, values, mask = inputs()
    context, _ = attend(DotAttention(Q, E), query, values, mask)
    scores = torch.einsum("btq,bsq->bts", query, values)
    assert torch.allclose(context, reference(scores, values, mask), atol=1e-5)


def test_general_scores_are_query_W_value():
    torch.manual_seed(2)
    attention = GeneralAttention(Q, E)
    query, values, mask = inputs()
    context, _ = attend(attention, query, values, mask)
    W = attention.key_proj.weight  # Q x E
    scores = torch.einsum("btq,qe,bse->bts", query, W, values)
    assert torch.allclose(context, reference(scores, values, mask), atol=1e-5)


def test_additive_scores_are_v_tanh_of_Wq_plus_Wk():
    torch.manual_seed(3)
    attention = AdditiveAttention(Q, E, A)
    query, values, mask = inputs()
    context, _ = attend(attention, query, values, mask)
    wq = attention.query_proj(query)  # B x T x A
    wk = values @ attention.key_proj.weight.T  # B x S x A
    energy = torch.tanh(wq[:, :, None, :] + wk[:, None, :, :])  # B x T x S x A
    scores = energy @ attention.v.weight[0]  # B x T x S
    assert torch.allclose(context, reference(scores, values, mask), atol=1e-5)


def test_sizes_may_differ_except_for_dot():
    query = torch.randn(B, T, 4)
    values = torch.randn(B, S, 10)
    for kind in ("general", "additive"):
        attention = build_attention(kind, 4, 10, A)
        context, _ = attend(attention, query, values, None)
        assert context.shape == (B, T, 10)
    with pytest.raises(ValueError, match=r"dot attention needs the decoder hidden size \(4\)"):
        build_attention("dot", 4, 10, A)


def test_build_attention_none_and_unknown():
    assert build_attention("none", Q, E, A) is None
    with pytest.raises(ValueError, match="unknown attention 'luong'"):
        build_attention("luong", Q, E, A)
