#!/usr/bin/env python
"""Training and generation speed: rnn_luong (input feeding on and off) vs fairseq's lstm.

All three systems get the same binarised data, the same sizes (embedding, bidirectional
encoder, decoder hidden, one layer each, general attention), the same optimiser, seed and
batches. Each runs in its own subprocess (so peak memory is its own) through fairseq's
own Trainer and SequenceGenerator, in this order:

1. ``--warmup`` untimed updates, then ``--updates`` timed updates: target tokens/s of
   the training steps alone (forward, backward, optimiser; the batches are read before
   the clock starts, so fairseq's ``wps``, which also counts data loading, is lower);
2. generation of the test set with beam ``--beam``: sentences/s, generated tokens/s (the
   fair comparison when models stop at different lengths) and sacreBLEU of the
   detokenised output against the detokenised references;
3. peak memory: resident set size of the process on CPU, allocated memory on a GPU.

``--autocast-bf16`` runs both phases of every system under ``torch.autocast`` with
bfloat16 (matrix products in bf16, softmax and losses in fp32): on CPUs with AMX it shows
what the shared output layer costs once its products are cheaper (on a CPU with AVX-512
bf16 alone bf16 was slower than fp32).

``--cpu-bf16`` instead gives the plugin's systems their own ``--cpu-bf16 1`` option (bf16
autocast in the model's forward, as ``fairseq-train`` runs it) and leaves fairseq's lstm
in fp32, the only precision fairseq 0.12 trains it in on a CPU (its ``--bf16`` means TPU,
``--amp`` CUDA): the speed-up a user of this CPU sees, not one at equal precision.

``floor``, a fourth system, is not a model: it trains only what every model of these
sizes must compute (see ``floor_model``) through the same Trainer on the same batches, and
generates nothing (with ``--cpu-bf16`` it trains under bf16 autocast, as the plugin's
systems do). Its speed is the most any implementation of these sizes can reach with
PyTorch's kernels, so its ratio to fairseq's lstm bounds the ratio a faster decoder can
show on that machine.

It prints one table and the ratios against fairseq's lstm (and the copy attention and
coverage systems against ``rnn_luong --input-feeding 1``). It reports; it asserts nothing.

    python scripts/benchmark.py --data-bin data/multi30k-de-en/bin

Each system runs in ``_bench_train_worker.py``; decoding speed on trained checkpoints,
with every ``--fast-decoding`` path, is ``benchmark_inference.py``.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from _bench import DEFAULT_SYSTEMS, SYSTEMS, machine_description

TRAIN_WORKER = Path(__file__).resolve().parent / "_bench_train_worker.py"


def table(results, device):
    base = next(r for r in results if r["system"] == "fairseq lstm")
    mem = "peak GPU MB" if device == "cuda" else "peak RSS MB"
    lines = ["| system | params | train tok/s | x lstm | gen sent/s | gen tok/s | x lstm | "
             f"{mem} | BLEU |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        if r["gen_tokens_per_s"] is None:  # the floor generates nothing
            gen = "| - | - | - |"
        else:
            gen = (f"| {r['gen_sentences_per_s']:.1f} | {r['gen_tokens_per_s']:.0f} | "
                   f"{r['gen_tokens_per_s'] / base['gen_tokens_per_s']:.2f} |")
        bleu = "-" if r["bleu"] is None else f"{r['bleu']:.2f}"
        lines.append(
            f"| {r['system']} | {r['params'] / 1e6:.2f}M | {r['train_tokens_per_s']:.0f} | "
            f"{r['train_tokens_per_s'] / base['train_tokens_per_s']:.2f} {gen} "
            f"{r['peak_mem_mb']:.0f} | {bleu} |")
    return "\n".join(lines)


def print_against_luong(results):
    """What copy attention and coverage cost: their systems against rnn_luong's."""
    base = next((r for r in results if r["system"] == "rnn_luong --input-feeding 1"), None)
    for r in results:
        if base is None or r["system"] not in ("rnn_luong copy", "rnn_luong coverage"):
            continue
        gen = ("" if not r["gen_tokens_per_s"] else
               f", generation {r['gen_tokens_per_s'] / base['gen_tokens_per_s']:.2f}x")
        print(f"{r['system']} against rnn_luong --input-feeding 1: training "
              f"{r['train_tokens_per_s'] / base['train_tokens_per_s']:.2f}x{gen}, peak memory "
              f"{r['peak_mem_mb'] / base['peak_mem_mb']:.2f}x")


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-bin", help="binarised corpus (preprocess/ output bin/)")
    p.add_argument("--updates", type=int, default=200, help="timed training updates")
    p.add_argument("--warmup", type=int, default=10, help="untimed updates first")
    p.add_argument("--max-tokens", type=int, default=4000)
    p.add_argument("--embed", default="256")
    p.add_argument("--hidden", default="256", help="encoder hidden size per direction")
    p.add_argument("--dec-hidden", default="512")
    p.add_argument("--dropout", default="0.2")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--gen-batch", type=int, default=64)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--autocast-bf16", action="store_true",
                   help="train and generate under torch.autocast with bfloat16")
    p.add_argument("--cpu-bf16", action="store_true",
                   help="rnn_luong systems with their --cpu-bf16 1, fairseq lstm in fp32")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--systems", nargs="*", default=DEFAULT_SYSTEMS, choices=list(SYSTEMS),
                   help="add floor for the bound on any model of these sizes; 'rnn_luong "
                        "copy' and 'rnn_luong coverage' (with 'rnn_luong --input-feeding 1') "
                        "for what they cost, on data with a joined dictionary")
    p.add_argument("--marian", action="store_true",
                   help="also train Marian's s2s (scripts/_bench_marian.py) on the text and "
                        "sentencepiece model beside --data-bin (a preprocess.prepare folder), "
                        "at --embed/--hidden, and decode the test set at --beam in fp32 and int8; "
                        "installs pymarian into --marian-venv on first use, or skips in one line")
    p.add_argument("--marian-venv", help="Marian's own environment (default runs/marian-venv)")
    p.add_argument("--json", help="also write the results here")
    return p


def marian_line(opts, results):
    """Marian's training and decoding beside the table (``--marian``), or why it was skipped."""
    from _bench import REPO
    from _bench_marian import run_marian

    data = Path(opts.data_bin).resolve().parent
    if not (data / "spm" / "joint.model").is_file() or not (data / "raw").is_dir():
        print(f"marian: skipped ({data} has no raw/ and spm/joint.model: Marian reads the "
              "text and the joint sentencepiece model that preprocess.prepare --joint writes)")
        return None
    sizes = dict(embed=opts.embed, hidden=opts.hidden, updates=opts.warmup + opts.updates,
                 max_tokens=opts.max_tokens)
    work = REPO / "runs" / "bench-marian"
    m = run_marian(Path(opts.marian_venv or REPO / "runs" / "marian-venv"), data, work, sizes,
                   [opts.beam], 0, opts.threads, opts.gen_batch, 1)
    if "skipped" in m:
        print(f"marian: skipped ({m['skipped']})")
        return m
    base = next((r for r in results if r["system"] == "fairseq lstm"), None)
    ratio = (f" ({m['train']['tok_per_s'] / base['train_tokens_per_s']:.2f}x lstm)"
             if base else "")
    fp32, int8 = m["fp32"][str(opts.beam)], m["int8"][str(opts.beam)]
    print(f"marian s2s (bidirectional LSTM {opts.hidden}, conditional LSTM decoder "
          f"{opts.hidden}, MLP attention, tied output): train {m['train']['tok_per_s']:.0f} "
          f"target tok/s{ratio} over {m['train']['updates']} updates; test beam {opts.beam}: "
          f"{fp32['sentences_per_s']:.1f} sent/s fp32 (BLEU {fp32['bleu']:.2f}), "
          f"{int8['sentences_per_s']:.1f} int8 (BLEU {int8['bleu']:.2f})")
    return m


def main(argv=None):
    opts = build_parser().parse_args(argv)
    if not opts.data_bin:
        sys.exit("error: --data-bin is required (decoding speed: benchmark_inference.py)")
    if opts.cpu_bf16 and opts.autocast_bf16:
        sys.exit("error: --cpu-bf16 and --autocast-bf16 exclude each other")
    if not Path(opts.data_bin).is_dir():
        sys.exit(f"error: --data-bin {opts.data_bin} is not a folder (run preprocess first)")
    results = []
    for system in opts.systems:
        cmd = [sys.executable, TRAIN_WORKER, system, json.dumps(vars(opts))]
        print(f"running {system} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = next((out for out in proc.stdout.splitlines() if out.startswith("RESULT ")),
                    None)
        if proc.returncode != 0 or line is None:
            sys.exit(f"error: {system} failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(line[len("RESULT "):]))
        # each system as it finishes: a run cut short still shows what it measured
        r = results[-1]
        print(f"  {system}: train {r['train_tokens_per_s']:.0f} tok/s"
              + (f", generation {r['gen_tokens_per_s']:.0f} tok/s"
                 if r["gen_tokens_per_s"] is not None else "")
              + (f", peak GPU memory {r['train_peak_mem_mb']:.0f} MB training, "
                 f"{r['peak_mem_mb']:.0f} MB overall"
                 if "train_peak_mem_mb" in r else ""),
              file=sys.stderr, flush=True)
    print(f"machine: {machine_description(opts.device)}; threads {opts.threads}")
    print(f"sizes: embed {opts.embed}, encoder {opts.hidden} x2 (bidirectional), decoder "
          f"{opts.dec_hidden}, 1 layer; {opts.updates} timed updates of <= {opts.max_tokens} "
          f"tokens; test set with beam {opts.beam}"
          + ("; bf16 autocast" if opts.autocast_bf16 else "")
          + ("; rnn_luong with --cpu-bf16 1, lstm fp32" if opts.cpu_bf16 else ""))
    if "fairseq lstm" in opts.systems:
        print(table(results, opts.device))
    print_against_luong(results)
    marian = marian_line(opts, results) if opts.marian else None
    if opts.json:
        Path(opts.json).write_text(json.dumps(
            results + ([{"system": "marian", **marian}] if marian else []), indent=2))


if __name__ == "__main__":
    main()
