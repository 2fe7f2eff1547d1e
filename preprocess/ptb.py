"""``python -m preprocess.ptb``: PTB-style (de)tokenisation of stdin to stdout.

The tokenisation itself is :mod:`preprocess.texttools.ptb` (the gec task and the
correction shell use it at run time).
"""
import argparse
import sys

from preprocess.texttools.ptb import detokenize, tokenize


def _main(argv=None) -> int:   # pragma: no cover - tiny helper CLI
    p = argparse.ArgumentParser(prog="python -m preprocess.ptb",
                                description="PTB-style (de)tokenisation, stdin to stdout.")
    p.add_argument("--detok", action="store_true", help="detokenise instead")
    args = p.parse_args(argv)
    fn = detokenize if args.detok else tokenize
    for line in sys.stdin:
        print(fn(line.rstrip("\n")))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
