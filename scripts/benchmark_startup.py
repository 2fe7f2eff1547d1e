#!/usr/bin/env python
"""How long a data preparation command takes to start: ``--help`` of each, in a fresh
interpreter, against two baselines run in the same command: an empty interpreter and
importing the plugin (which loads fairseq and torch; what every ``preprocess`` command
paid while it imported the plugin's text tools).

    python scripts/benchmark_startup.py [--repeats 5]

Prints the median wall time of each command over ``--repeats`` runs and its ratio to the
plugin's import. docs/speed.md ("Start-up") has the figures.
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMMANDS = {
    "python -c pass (floor)": ["-c", "pass"],
    "import fairseq_plugins (baseline)": ["-c", "import fairseq_plugins"],
    "python -m preprocess.prepare --help": ["-m", "preprocess.prepare", "--help"],
    "python -m preprocess.gec_data --help": ["-m", "preprocess.gec_data", "--help"],
    "python -m preprocess.m2 --help": ["-m", "preprocess.m2", "--help"],
}


def seconds(args) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args(argv)
    medians = {name: statistics.median(seconds(args) for _ in range(a.repeats))
               for name, args in COMMANDS.items()}
    baseline = medians["import fairseq_plugins (baseline)"]
    for name, median in medians.items():
        print(f"{name:40s} {median:6.3f} s  {median / baseline:5.2f}x the plugin's import")


if __name__ == "__main__":
    main()
