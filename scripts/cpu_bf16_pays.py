#!/usr/bin/env python
"""Does bf16 autocast pay on this CPU? Prints 1 or 0 for --cpu-bf16; the timings go to stderr.

The model's ``--cpu-bf16 1`` runs its encoder and decoder under ``torch.autocast`` with
bfloat16. Whether that is faster depends on the CPU, and its flags do not say: it was
faster on a Xeon with AMX and slower on one with AVX-512 bf16 but no AMX (the figures, with
machines and dates: docs/speed.md, "bf16 on a CPU"; docs/gec.md). So this measures
instead: the forward and backward of an encoder LSTM, a decoder LSTM and the output layer
at the GEC recipe's sizes, in fp32 and under autocast, alternately, and prints 1 when bf16
takes at most 1/``--margin`` of fp32's time (best of ``--repeats``).

    python scripts/cpu_bf16_pays.py [--threads N]      # -> 1 or 0
"""
import argparse
import sys
import time

import torch
from torch import nn

from _common import die

LENGTH = 20  # time steps of the measured batch


def step_seconds(layers, x, bf16):
    """One forward and backward pass, in seconds."""
    encoder, decoder, output = layers
    start = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        states, _ = encoder(x)                          # T x B x 2*hidden
        hidden, _ = decoder(x)                          # T x B x hidden
        logits = output(hidden)                         # T x B x V
    # log-softmax and loss in fp32, as the model's get_normalized_probs does
    loss = torch.log_softmax(logits.float(), dim=-1).mean() + states.float().mean()
    loss.backward()
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    p.add_argument("--embed", type=int, default=256)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--vocab", type=int, default=4000)
    p.add_argument("--tokens", type=int, default=4000, help="target tokens per batch")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--margin", type=float, default=1.1,
                   help="bf16 must be this many times as fast as fp32 to be chosen")
    opts = p.parse_args(argv)
    # a batch of no sentences or no timed round would print a ratio of inf / inf
    for name in ("threads", "embed", "hidden", "vocab", "repeats"):
        if getattr(opts, name) is not None and getattr(opts, name) < 1:
            die(f"--{name} must be at least 1, got {getattr(opts, name)}")
    if opts.tokens < LENGTH:
        die(f"--tokens must be at least {LENGTH} (one sentence of {LENGTH} steps), "
            f"got {opts.tokens}")
    if opts.threads:
        torch.set_num_threads(opts.threads)
    torch.manual_seed(1)
    layers = (nn.LSTM(opts.embed, opts.hidden, bidirectional=True),
              nn.LSTM(opts.embed, opts.hidden), nn.Linear(opts.hidden, opts.vocab))
    x = torch.randn(LENGTH, opts.tokens // LENGTH, opts.embed)  # T x B x C

    best = {False: float("inf"), True: float("inf")}
    for round_ in range(opts.repeats + 1):  # round 0 warms up oneDNN's kernels
        for bf16 in (False, True):
            seconds = step_seconds(layers, x, bf16)
            if round_ > 0:
                best[bf16] = min(best[bf16], seconds)
    speedup = best[False] / best[True]
    pays = speedup >= opts.margin
    print(f"cpu_bf16_pays: fp32 {best[False] * 1e3:.0f} ms, bf16 autocast "
          f"{best[True] * 1e3:.0f} ms a step ({speedup:.2f}x), threads {torch.get_num_threads()}: "
          f"{'bf16' if pays else 'fp32'}", file=sys.stderr)
    print(int(pays))


if __name__ == "__main__":
    main()
