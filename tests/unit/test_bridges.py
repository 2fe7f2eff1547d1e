"""fairseq_plugins.models.bridges: encoder final states -> decoder initial state.

The encoder's states are L_enc x D x B x H_enc (layers, directions, batch, size); a bridge
returns L_dec x B x H_dec, for the hidden state h and (LSTM) the cell state c.
"""
import pytest
import torch

from fairseq_plugins.models.bridges import Bridge, match_layers

L, D, B, H = 2, 2, 3, 4


def states(layers=L, directions=D, seed=0):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(layers, directions, B, H, generator=g)
    c = torch.randn(layers, directions, B, H, generator=g)
    return h, c


def test_zero_gives_zeros_of_the_decoder_shape():
    h, c = states()
    h0, c0 = Bridge("zero", H, D, dec_hidden=7, dec_layers=3)(h, c)
    assert h0.shape == c0.shape == (3, B, 7)
    assert not h0.any() and not c0.any()


def test_sum_adds_the_two_directions():
    h, c = states()
    h0, c0 = Bridge("sum", H, D, dec_hidden=H, dec_layers=L)(h, c)
    assert h0.shape == (L, B, H)
    assert torch.equal(h0, h[:, 0] + h[:, 1]) and torch.equal(c0, c[:, 0] + c[:, 1])


def test_concat_puts_forward_then_backward_side_by_side():
    h, c = states()
    h0, c0 = Bridge("concat", H, D, dec_hidden=D * H, dec_layers=L)(h, c)
    assert h0.shape == (L, B, D * H)
    assert torch.equal(h0, torch.cat([h[:, 0], h[:, 1]], dim=-1))
    assert torch.equal(c0, torch.cat([c[:, 0], c[:, 1]], dim=-1))


def test_concat_of_one_direction_is_the_identity():
    """Sutskever et al.: a unidirectional encoder's states pass through unchanged."""
    h, c = states(directions=1)
    h0, c0 = Bridge("concat", H, 1, dec_hidden=H, dec_layers=L)(h, c)
    assert torch.equal(h0, h[:, 0]) and torch.equal(c0, c[:, 0])


@pytest.mark.parametrize("kind, squash", [("linear", lambda x: x), ("tanh-linear", torch.tanh)])
def test_linear_bridges_project_the_concatenation(kind, squash):
    """h0 = [tanh](W_h [h_fwd; h_bwd] + b_h), and the cell state has its own W_c, b_c."""
    torch.manual_seed(0)
    bridge = Bridge(kind, H, D, dec_hidden=5, dec_layers=L)
    h, c = states()
    h0, c0 = bridge(h, c)
    assert h0.shape == c0.shape == (L, B, 5)
    cat_h, cat_c = torch.cat([h[:, 0], h[:, 1]], -1), torch.cat([c[:, 0], c[:, 1]], -1)
    ph, pc = bridge.proj_h, bridge.proj_c
    assert torch.allclose(h0, squash(cat_h @ ph.weight.T + ph.bias), atol=1e-6)
    assert torch.allclose(c0, squash(cat_c @ pc.weight.T + pc.bias), atol=1e-6)
    assert not torch.equal(ph.weight, pc.weight)


def test_gru_has_no_cell_state_and_no_weights_for_one():
    h, _ = states()
    bridge = Bridge("linear", H, D, dec_hidden=5, dec_layers=L, cell_state=False)
    h0, c0 = bridge(h, None)
    assert h0.shape == (L, B, 5) and c0 is None
    assert [name for name, _ in bridge.named_parameters()] == ["proj_h.weight", "proj_h.bias"]
    # a checkpoint from before still loads: its unused cell-state weights are dropped
    old = {f"decoder.bridge.{k}": v for k, v in Bridge(
        "linear", H, D, dec_hidden=5, dec_layers=L).state_dict().items()}
    bridge.upgrade_state_dict_named(old, "decoder.bridge")
    assert sorted(old) == ["decoder.bridge.proj_h.bias", "decoder.bridge.proj_h.weight"]


def test_more_encoder_layers_keep_the_top_ones():
    h, c = states(layers=3)
    h0, _ = Bridge("sum", H, D, dec_hidden=H, dec_layers=2)(h, c)
    assert torch.equal(h0, (h[:, 0] + h[:, 1])[1:])


def test_more_decoder_layers_repeat_the_top_encoder_layer():
    state = torch.arange(2 * B * H, dtype=torch.float).view(2, B, H)  # L_enc=2 x B x H
    out = match_layers(state, 4)
    assert out.shape == (4, B, H)
    assert torch.equal(out[:2], state) and torch.equal(out[2], state[1])
    assert torch.equal(out[3], state[1])


@pytest.mark.parametrize("kind, dec_hidden, message", [
    ("concat", 5, r"bridge 'concat' needs decoder hidden size = 2 x 4 = 8, got 5"),
    ("sum", 8, r"bridge 'sum' needs decoder hidden size = encoder hidden size \(4\), got 8"),
    ("mean", 4, r"unknown bridge 'mean'"),
])
def test_sizes_a_bridge_cannot_map_are_refused(kind, dec_hidden, message):
    with pytest.raises(ValueError, match=message):
        Bridge(kind, H, D, dec_hidden=dec_hidden, dec_layers=L)
