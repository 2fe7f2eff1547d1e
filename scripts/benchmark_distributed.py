#!/usr/bin/env python
"""Data-parallel training on the CPU: N processes x 1 thread against 1 process x N threads.

Both runs train ``rnn_luong --input-feeding 0`` at ``scripts/benchmark.py``'s sizes
(embedding 256, bidirectional encoder 256 x 2, decoder 512, one layer, dropout 0.2, Adam,
batches of ``--max-tokens``) through ``fairseq-train`` itself, on the same batches:

- ``ranks``: ``fairseq-train --cpu --distributed-world-size N`` (gloo), one thread a rank;
- ``threads``: one process with ``N`` threads and ``--update-freq N``, which takes the
  same N batches per update that the N ranks take (fairseq gives rank r batches
  r, r+N, ...; tests/integration/test_distributed.py checks that both end with the same
  parameters).

Training target tokens/s is fairseq's own ``wps`` over the ``train_inner`` intervals
after the first (start-up, the first batches and the processes' start are left out),
weighted by the time each interval took. The two runs alternate ``--repeats`` times so
that a change in the machine's load meets both. It prints the figures and the ratio; it
asserts nothing.

    python scripts/benchmark_distributed.py --data-bin data/multi30k-de-en/bin
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import REPO, machine_description, size_args  # noqa: E402

SYSTEM = "rnn_luong --input-feeding 0"
WPS = re.compile(r"train_inner \|.* wps=([\d.]+), ups=([\d.]+)")


def train_cmd(opts, save_dir, ranks):
    cmd = [str(Path(sys.executable).parent / "fairseq-train"), opts.data_bin,
           "--user-dir", str(REPO / "fairseq_plugins"), "--arch", "rnn_luong",
           "--input-feeding", "0", *[str(a) for a in size_args(opts, SYSTEM)],
           "--optimizer", "adam", "--lr", "0.001", "--clip-norm", "1.0",
           "--criterion", "cross_entropy", "--max-tokens", str(opts.max_tokens),
           "--required-batch-size-multiple", "1", "--seed", "1", "--cpu",
           "--max-update", str(opts.updates), "--log-format", "simple",
           "--log-interval", str(opts.log_interval), "--disable-validation", "--no-save",
           "--save-dir", str(save_dir)]
    if ranks > 1:
        return cmd + ["--distributed-world-size", str(ranks)]
    return cmd + ["--update-freq", str(opts.n)]


def tokens_per_s(log: str) -> float:
    """Time-weighted mean of fairseq's wps over the train_inner intervals after the first."""
    intervals = [(float(w), float(u)) for w, u in WPS.findall(log)][1:]
    if not intervals:
        raise SystemExit("error: too few train_inner lines: raise --updates or lower "
                         "--log-interval\n" + log[-3000:])
    seconds = [1.0 / ups for _, ups in intervals]   # each interval is log_interval updates
    return sum(w * s for (w, _), s in zip(intervals, seconds)) / sum(seconds)


def run_once(opts, ranks):
    env = dict(os.environ, OMP_NUM_THREADS="1" if ranks > 1 else str(opts.n),
               MKL_NUM_THREADS="1" if ranks > 1 else str(opts.n))
    with tempfile.TemporaryDirectory() as save_dir:
        proc = subprocess.run(train_cmd(opts, save_dir, ranks), env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"error: fairseq-train failed ({proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}")
    return tokens_per_s(proc.stdout)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-bin", required=True, help="binarised corpus (preprocess/ output bin/)")
    p.add_argument("-n", type=int, default=2, help="ranks, and threads of the one process")
    p.add_argument("--updates", type=int, default=60)
    p.add_argument("--log-interval", type=int, default=10)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--max-tokens", type=int, default=4000)
    p.add_argument("--embed", default="256")
    p.add_argument("--hidden", default="256", help="encoder hidden size per direction")
    p.add_argument("--dec-hidden", default="512")
    p.add_argument("--dropout", default="0.2")
    p.add_argument("--json", help="also write the results here")
    opts = p.parse_args(argv)
    if not Path(opts.data_bin).is_dir():
        sys.exit(f"error: --data-bin {opts.data_bin} is not a folder (run preprocess first)")

    runs = {"ranks": [], "threads": []}
    for repeat in range(opts.repeats):
        for name, ranks in (("ranks", opts.n), ("threads", 1)):
            runs[name].append(run_once(opts, ranks))
            print(f"  repeat {repeat + 1}: {name} {runs[name][-1]:.0f} tok/s",
                  file=sys.stderr, flush=True)
    ranks, threads = (statistics.median(runs[k]) for k in ("ranks", "threads"))
    print(f"machine: {machine_description('cpu')}")
    print(f"{SYSTEM}, sizes: embed {opts.embed}, encoder {opts.hidden} x2, "
          f"decoder {opts.dec_hidden}; {opts.updates} updates of {opts.n} x <= "
          f"{opts.max_tokens} tokens, median of {opts.repeats}")
    print(f"{'run':<34}{'train tok/s':>12}   all runs")
    print(f"{f'{opts.n} processes x 1 thread (gloo)':<34}{ranks:>12.0f}   "
          + " ".join(f"{r:.0f}" for r in runs["ranks"]))
    print(f"{f'1 process x {opts.n} threads':<34}{threads:>12.0f}   "
          + " ".join(f"{r:.0f}" for r in runs["threads"]))
    print(f"ratio: {ranks / threads:.2f}x ({opts.n} processes over 1 process)")
    if opts.json:
        Path(opts.json).write_text(json.dumps(
            {"runs": runs, "ranks": ranks, "threads": threads, "ratio": ranks / threads,
             "machine": machine_description("cpu")}, indent=2))


if __name__ == "__main__":
    main()
