"""``--fast-decoding int8``: the decoder's matrix products in int8 (CPU).

The output layer (and a tied output's projection), Luong's combine layer and the RNN's gates
(LSTM: one product of ``[x; h]`` per layer; GRU: one of ``x`` and one of ``h``) become
dynamically quantised linear layers (``torch.ao``: weights int8 per output row,
activations quantised per call); the encoder and the attention stay fp32.
:func:`int8_layers` gives them to the decoder's step as its :class:`StepLayers`.

Shapes: R rows (hypotheses), I RNN input size, H hidden size, L layers.
"""
import warnings
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from fairseq_plugins.models.rnn_decoder import StepLayers


def quantize_linear(linear: nn.Linear) -> nn.Module:
    """A dynamically quantised copy of ``linear``: int8 weights, one scale per output row
    (so any subset of rows quantises exactly as in the whole), int8 activations per call."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    holder = nn.Sequential(linear)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch.ao.quantization's deprecation notice
        quantized = quantize_dynamic(holder, {nn.Linear: per_channel_dynamic_qconfig},
                                     dtype=torch.qint8, inplace=False)
    return quantized[0]


def linear_from(weight: Tensor, bias: Optional[Tensor]) -> nn.Linear:
    out_features, in_features = weight.shape
    layer = nn.Linear(in_features, out_features, bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(weight.detach().float())
        if bias is not None:
            layer.bias.copy_(bias.detach().float())
    return layer


class Int8Rows:
    """Rows ``ids`` of a quantised linear layer: its int8 weights and per-row scales, so
    that each logit is the whole layer's (quantising them anew would give the same
    weights, at several times the cost a batch)."""

    def __init__(self, layer: nn.Module, weight: Tensor, ids: Tensor, bias: Optional[Tensor]):
        w = layer.weight()
        qweight = torch.quantize_per_channel(
            weight, w.q_per_channel_scales().index_select(0, ids),
            w.q_per_channel_zero_points().index_select(0, ids), 0, torch.qint8)
        self.packed = torch.ops.quantized.linear_prepack(qweight, bias)

    def __call__(self, x: Tensor) -> Tensor:
        return torch.ops.quantized.linear_dynamic(x, self.packed, reduce_range=True)


class _Int8LSTMLayer:
    """One LSTM layer's step as one int8 product of ``[x; h]``: gates i, f, g, o as
    PyTorch orders them, both biases summed."""

    def __init__(self, rnn: nn.LSTM, layer: int):
        w = torch.cat([getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")],
                      dim=1)
        b = getattr(rnn, f"bias_ih_l{layer}") + getattr(rnn, f"bias_hh_l{layer}")
        self.gates = quantize_linear(linear_from(w, b))

    def __call__(self, x: Tensor, h: Tensor, c: Tensor):
        i, f, g, o = self.gates(torch.cat([x, h], dim=-1)).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class _Int8GRULayer:
    """One GRU layer's step: int8 products of ``x`` and of ``h`` (the candidate's reset gate
    multiplies the recurrent product alone, as in PyTorch's GRU)."""

    def __init__(self, rnn: nn.GRU, layer: int):
        self.ih = quantize_linear(linear_from(getattr(rnn, f"weight_ih_l{layer}"),
                                               getattr(rnn, f"bias_ih_l{layer}")))
        self.hh = quantize_linear(linear_from(getattr(rnn, f"weight_hh_l{layer}"),
                                               getattr(rnn, f"bias_hh_l{layer}")))

    def __call__(self, x: Tensor, h: Tensor, c=None):
        xr, xz, xn = self.ih(x).chunk(3, dim=-1)
        hr, hz, hn = self.hh(h).chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None


class Int8RNN:
    """The decoder RNN's step as its int8 layers: (x R x 1 x I, state) -> (R x 1 x H, state),
    as ``StepLayers.rnn`` takes it."""

    def __init__(self, rnn: nn.RNNBase, cell: str, num_layers: int):
        layer = _Int8LSTMLayer if cell == "lstm" else _Int8GRULayer
        self.lstm = cell == "lstm"
        self.layers = [layer(rnn, i) for i in range(num_layers)]

    def __call__(self, x: Tensor, state):
        x, hs, cs = x.squeeze(1), [], []
        for i, layer in enumerate(self.layers):
            h, c = layer(x, state.hidden[i], state.cell[i] if state.cell is not None else None)
            hs.append(h)
            cs.append(c)
            x = h
        return x.unsqueeze(1), state._replace(hidden=torch.stack(hs),   # L x R x H
                                              cell=torch.stack(cs) if self.lstm else None)


def output_weight(decoder):
    """The decoder's output layer as (weight V x F, bias or None): its own projection's, or
    the tied embedding's (V x E, no bias)."""
    if decoder.output_projection is not None:
        return decoder.output_projection.weight, decoder.output_projection.bias
    return decoder.embed_tokens.effective_weight(), None


def output_linear(decoder) -> nn.Linear:
    """The decoder's output layer as one fp32 ``nn.Linear`` (readout, or E when tied, -> V)."""
    if decoder.output_projection is not None:
        return decoder.output_projection
    return linear_from(*output_weight(decoder))


def int8_layers(decoder, output: Optional[nn.Linear] = None) -> StepLayers:
    """The decoder's step layers with every matrix product in int8 (``output``: the output
    layer as :func:`output_linear` gives it, when the caller has it already)."""
    own = decoder.own_layers()
    return own._replace(
        rnn=Int8RNN(decoder.rnn, decoder.cell, decoder.num_layers),
        combine=quantize_linear(decoder.combine) if decoder.combine is not None else None,
        project=quantize_linear(decoder.out_proj) if decoder.out_proj is not None else None,
        output=quantize_linear(output if output is not None else output_linear(decoder)))
