#!/usr/bin/env python
"""Build the lexical table that ``--fast-decoding shortlist`` reads (``--shortlist FILE``).

For each source token of the binarised training data, the target tokens that co-occur with
it most, ranked by the Dice coefficient of the sentences they appear in,
``2 c(s, t) / (c(s) + c(t))`` (co-occurrence in one sentence pair, no alignment model:
nothing beyond the plugin's own dependencies). Dice, unlike ``p(t | s)``, does not rank
the most frequent target tokens first for every source token; those are in every shortlist
anyway (``--shortlist-frequent``). One line a source token::

    source-token<TAB>target-token target-token ...

    python scripts/build_shortlist.py --data-bin DATA/bin --source-lang de \\
        --target-lang en --out DATA/shortlist.de-en.tsv

Bad input (no such folder, split or dictionary) -> ``error: <one line>``, exit status 2.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import InputError, run_main  # noqa: E402


def cooccurrence_table(src_sents, tgt_sents, src_size, tgt_size, per_source, min_count=2):
    """{source id: [target ids, best first]} from two lists of id arrays (one per pair)."""
    keys, src_counts, tgt_counts = [], np.zeros(src_size, np.int64), np.zeros(tgt_size, np.int64)
    for s, t in zip(src_sents, tgt_sents):
        s, t = np.unique(s), np.unique(t)
        src_counts[s] += 1
        tgt_counts[t] += 1
        keys.append((s[:, None] * tgt_size + t[None, :]).ravel())
    if not keys:
        return {}
    pairs, counts = np.unique(np.concatenate(keys), return_counts=True)
    keep = counts >= min_count
    pairs, counts = pairs[keep], counts[keep]
    s, t = pairs // tgt_size, pairs % tgt_size
    dice = 2.0 * counts / (src_counts[s] + tgt_counts[t])
    order = np.lexsort((-dice, s))   # by source, best first
    table = {}
    for si, ti in zip(s[order], t[order]):
        row = table.setdefault(int(si), [])
        if len(row) < per_source:
            row.append(int(ti))
    return table


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-bin", required=True, help="fairseq-preprocess output folder")
    p.add_argument("--source-lang", required=True)
    p.add_argument("--target-lang", required=True)
    p.add_argument("--split", default="train")
    p.add_argument("--per-source", type=int, default=10,
                   help="target tokens kept for each source token")
    p.add_argument("--min-count", type=int, default=2,
                   help="pairs seen in fewer sentence pairs are left out")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.per_source < 1:
        raise InputError(f"--per-source must be >= 1, got {args.per_source}")
    folder = Path(args.data_bin)
    if not folder.is_dir():
        raise InputError(f"--data-bin {folder} is not a folder")
    from fairseq.data import Dictionary, data_utils

    dicts, sents = {}, {}
    for lang in (args.source_lang, args.target_lang):
        dict_file = folder / f"dict.{lang}.txt"
        if not dict_file.is_file():
            raise InputError(f"{dict_file} not found (--source-lang/--target-lang?)")
        dicts[lang] = Dictionary.load(str(dict_file))
        prefix = folder / f"{args.split}.{args.source_lang}-{args.target_lang}.{lang}"
        ds = data_utils.load_indexed_dataset(str(prefix), dicts[lang])
        if ds is None:
            raise InputError(f"no binarised {args.split} split {prefix}.bin/.idx in {folder}")
        specials = dicts[lang].nspecial
        sents[lang] = [a[a >= specials] for a in (ds[i].numpy() for i in range(len(ds)))]
    src, tgt = dicts[args.source_lang], dicts[args.target_lang]
    table = cooccurrence_table(sents[args.source_lang], sents[args.target_lang], len(src),
                               len(tgt), args.per_source, args.min_count)
    out = Path(args.out)
    with open(out, "w", encoding="utf-8") as f:
        for s in sorted(table):
            f.write(f"{src[s]}\t{' '.join(tgt[t] for t in table[s])}\n")
    print(f"{out}: {len(table)} source tokens, up to {args.per_source} targets each, from "
          f"{len(sents[args.source_lang])} sentence pairs")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
