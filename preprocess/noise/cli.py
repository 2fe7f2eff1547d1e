"""``python -m preprocess.noise``: seeded synthetic learner errors, one sentence a line."""
from __future__ import annotations

import argparse
import json
import sys

from preprocess.texttools.errors import InputError

from ..cli import run_main
from .rates import ERROR_TYPES, parse_rates
from .rules import Noiser


def _main(argv) -> int:
    p = argparse.ArgumentParser(
        prog="python -m preprocess.noise",
        description="Add seeded synthetic learner errors to clean English, one sentence a line.")
    p.add_argument("-i", "--input", default="-", help="clean text file (default stdin)")
    p.add_argument("-o", "--output", default="-", help="noisy output (default stdout)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rates", default=None,
                   help="key=value,... (or JSON); keys: " + ", ".join(ERROR_TYPES)
                        + "; 'all=0' first zeroes every rate")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the default rates")
    p.add_argument("--copies", type=int, default=1,
                   help="noisy copies of each line (written one after the other, copy-major)")
    p.add_argument("--spellchecker", type=float, default=0.0, metavar="SHARE",
                   help="also pass this share of the lines (0..1, seeded) through the "
                        "inverted spellchecker (preprocess.noise.spellchecker; needs "
                        "symspellpy)")
    p.add_argument("--print-rates", action="store_true", help="print the rates as JSON and exit")
    args = p.parse_args(argv)
    try:
        rates = parse_rates(args.rates, scale=args.scale)
    except (ValueError, OSError) as e:
        raise InputError(e) from None
    if not 0.0 <= args.spellchecker <= 1.0:
        raise InputError(f"--spellchecker must be in [0, 1], got {args.spellchecker}")
    if args.print_rates:
        print(json.dumps(rates, indent=1))
        return 0
    try:
        src = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
        lines = [line.rstrip("\n") for line in src]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {args.input}: {e}") from None
    noiser = Noiser(rates, seed=args.seed)
    magec = None
    if args.spellchecker > 0:
        from .spellchecker import SpellcheckerNoiser
        magec = SpellcheckerNoiser(seed=args.seed, share=args.spellchecker)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    for _ in range(max(1, args.copies)):
        for line in lines:
            noisy = noiser.noise(line)
            out.write((magec.noise(noisy) if magec else noisy) + "\n")
    if out is not sys.stdout:
        out.close()
    if magec:
        magec.checker.save_cache()
    return 0


def main(argv=None) -> int:
    return run_main(_main, argv, prog="noise")
