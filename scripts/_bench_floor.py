"""The decoding floor of ``benchmark_inference.py``: the time the decoder step's matrix
products alone take for the rows a search ran.

``--fast-decoding *rnn-beam`` records how many rows (hypotheses) each step of each batch
ran (``RNNBeamSearch.step_rows``). :func:`floor_seconds` times, in fp32 and with PyTorch's
kernels, only the dense products of those steps: the RNN's gates (one product of
``[x; h]`` a layer), Luong's combine layer, a tied output's projection and the output layer
(readout x vocabulary), on random inputs of the same sizes. The attention's small batched
products over the source, the log-softmax, the top-k and everything else a search does
are left out: no decoder of these sizes decodes those rows faster than this.

Shapes: R rows of a step, I an RNN layer's input, H hidden, F readout, V vocabulary.
"""
import time
from collections import Counter
from typing import List

import torch
import torch.nn.functional as F


def step_weights(decoder) -> List[torch.Tensor]:
    """The weight (out x in) of every dense product of one decoder step."""
    from fairseq_plugins.decoding.int8 import output_weight

    rnn, weights = decoder.rnn, []
    for layer in range(decoder.num_layers):
        w_ih = getattr(rnn, f"weight_ih_l{layer}")
        w_hh = getattr(rnn, f"weight_hh_l{layer}")
        weights.append(torch.cat([w_ih, w_hh], dim=1).detach().float())   # gates x (I + H)
    for layer in (decoder.combine, decoder.out_proj):
        if layer is not None:
            weights.append(layer.weight.detach().float())
    weights.append(output_weight(decoder)[0].detach().float())   # V x F
    return weights


@torch.no_grad()
def floor_seconds(decoder, rows: List[int], repeats: int = 3, clock=time.perf_counter) -> float:
    """Seconds the products of ``step_weights`` take for steps of ``rows`` rows each (each
    distinct row count timed ``repeats`` times, the fastest kept, times how often it ran);
    ``clock``: wall time, or ``time.process_time`` for CPU time."""
    weights = step_weights(decoder)
    total = 0.0
    for r, count in Counter(rows).items():
        inputs = [torch.randn(r, w.size(1)) for w in weights]
        best = float("inf")
        for _ in range(repeats):
            start = clock()
            for x, w in zip(inputs, weights):
                F.linear(x, w)
            best = min(best, clock() - start)
        total += best * count
    return total
