"""Bridges: how the encoder's final states become the decoder's initial state.

The encoder hands over its final states as ``L_enc x D x B x H_enc`` (layers, directions,
batch, size); a bridge returns ``L_dec x B x H_dec``. For an LSTM the bridge is applied to
the hidden state and, through its own weights, to the cell state; a GRU has no cell state,
and its bridge no weights for one (a parameter no gradient reaches stops DDP).

* ``zero``        the decoder starts from zeros (attention carries the source);
* ``concat``      [h_fwd; h_bwd] per layer, needs H_dec = D * H_enc (Sutskever, unidirectional:
                  the identity, every encoder layer initialises its decoder layer);
* ``sum``         h_fwd + h_bwd per layer, needs H_dec = H_enc;
* ``linear``      W [h_fwd; h_bwd] + b, any sizes;
* ``tanh-linear`` tanh(W [h_fwd; h_bwd] + b), Bahdanau et al. (2015), any sizes.

When the layer counts differ, decoder layer i takes encoder layer i while there is one,
and the top encoder layer's state beyond that; extra encoder layers are dropped from the
bottom (the top layers are the most abstract ones and the closest to what the decoder
needs).
"""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from fairseq_plugins.errors import ModelOptionError

BRIDGE_CHOICES = ("zero", "concat", "sum", "linear", "tanh-linear")


def match_layers(state: Tensor, num_layers: int) -> Tensor:
    """L_enc x ... -> L_dec x ...: keep the top layers, or repeat the top one."""
    enc_layers = state.size(0)
    if enc_layers >= num_layers:
        return state[enc_layers - num_layers:]
    extra = state[-1:].expand(num_layers - enc_layers, *state.shape[1:])
    return torch.cat([state, extra], dim=0)


class Bridge(nn.Module):
    def __init__(self, kind: str, enc_hidden: int, directions: int, dec_hidden: int,
                 dec_layers: int, cell_state: bool = True):
        super().__init__()
        if kind not in BRIDGE_CHOICES:
            raise ModelOptionError(f"unknown bridge {kind!r}; "
                                   f"choose one of {', '.join(BRIDGE_CHOICES)}")
        self.kind, self.dec_hidden, self.dec_layers = kind, dec_hidden, dec_layers
        in_dim = enc_hidden * directions
        if kind == "concat" and in_dim != dec_hidden:
            raise ModelOptionError(
                f"bridge 'concat' needs decoder hidden size = {directions} x {enc_hidden} = "
                f"{in_dim}, got {dec_hidden}; use --bridge linear or tanh-linear"
            )
        if kind == "sum" and enc_hidden != dec_hidden:
            raise ModelOptionError(
                f"bridge 'sum' needs decoder hidden size = encoder hidden size ({enc_hidden}), "
                f"got {dec_hidden}; use --bridge linear or tanh-linear"
            )
        learnt = kind in ("linear", "tanh-linear")
        self.proj_h = nn.Linear(in_dim, dec_hidden) if learnt else None
        self.proj_c = nn.Linear(in_dim, dec_hidden) if learnt and cell_state else None

    def upgrade_state_dict_named(self, state_dict, name):
        """GRU checkpoints saved before the bridge dropped its unused cell-state weights
        still hold them: drop them there too (fairseq calls this before loading)."""
        if self.proj_c is None:
            for key in [k for k in state_dict if k.startswith(f"{name}.proj_c.")]:
                del state_dict[key]

    def _one(self, state: Tensor, proj: Optional[nn.Module]) -> Tensor:
        # state: L_enc x D x B x H_enc
        layers, directions, bsz, hidden = state.shape
        if self.kind == "zero":
            return state.new_zeros(self.dec_layers, bsz, self.dec_hidden)
        if self.kind == "sum":
            out = state.sum(dim=1)  # L_enc x B x H_enc
        else:
            out = state.permute(0, 2, 1, 3).reshape(layers, bsz, directions * hidden)  # L x B x D*H
            if proj is not None:
                out = proj(out)  # L x B x H_dec
                if self.kind == "tanh-linear":
                    out = torch.tanh(out)
        return match_layers(out, self.dec_layers).contiguous()  # L_dec x B x H_dec

    def forward(self, h: Tensor, c: Optional[Tensor]):
        """Return (h0, c0) for the decoder; c0 is None for a GRU."""
        h0 = self._one(h, self.proj_h)
        c0 = self._one(c, self.proj_c) if c is not None else None
        return h0, c0
