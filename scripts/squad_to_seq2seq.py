#!/usr/bin/env python
"""Convert SQuAD-format JSON (v1.1 or v2.0) into parallel text for a seq2seq model.

A thin alias of the SQuAD reader of the data pipeline (``preprocess/qa.py``; the whole
pipeline, subwords and binarisation included, is ``python -m preprocess.prepare qa
--format squad``). Each question becomes one line pair:

* ``PREFIX.src``: ``question <sep> context`` (optionally only a window of the context
  around the answer, so that long paragraphs fit an RNN encoder), and
* ``PREFIX.tgt``: the first gold answer's text.

Unanswerable SQuAD 2.0 questions (``is_impossible: true``) are skipped and counted by
default; ``--keep-unanswerable`` writes them with a ``<no_answer>`` target instead. An
answerable question without any answer is skipped and counted. All text is flattened to
a single line (newlines/tabs become spaces) because fairseq reads one example per line.

Example::

    python scripts/squad_to_seq2seq.py --input train-v2.0.json --out-prefix data/squad/train \
        --context-window 60 --keep-unanswerable
"""
import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_main  # noqa: E402

from preprocess import qa  # noqa: E402
from preprocess.text import SplitStats  # noqa: E402

COUNTS = ("questions", "unanswerable", "skipped_unanswerable", "skipped_no_answer",
          "truncated_contexts", "answer_not_in_context")


def convert(path, opts):
    """``[(source, target), ...]`` of a SQuAD file and the counts this script prints."""
    stats, notes = SplitStats(), Counter()
    records = qa.read_squad(path, opts, stats, notes)
    counts = dict(notes, questions=stats.read, written=len(records),
                  skipped_unanswerable=stats.skipped["unanswerable"],
                  skipped_no_answer=stats.skipped["no_answer"])
    return [(r[1], r[2]) for r in records], counts


def write_examples(examples, prefix):
    """Write PREFIX.src / PREFIX.tgt (UTF-8, one example per line); return both paths."""
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    src_path, tgt_path = Path(f"{prefix}.src"), Path(f"{prefix}.tgt")
    with open(src_path, "w", encoding="utf-8") as fs, open(tgt_path, "w", encoding="utf-8") as ft:
        for src, tgt in examples:
            fs.write(src + "\n")
            ft.write(tgt + "\n")
    return src_path, tgt_path


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="SQuAD v1.1/v2.0 JSON file")
    parser.add_argument("--out-prefix", required=True, help="writes PREFIX.src and PREFIX.tgt")
    parser.add_argument("--sep", default=qa.SEP,
                        help=f"token between question and context (default {qa.SEP})")
    parser.add_argument("--context-window", type=int, default=0, metavar="N",
                        help="keep only N context words centred on the answer (0 = all)")
    parser.add_argument("--keep-unanswerable", action="store_true",
                        help="write unanswerable v2 questions with --no-answer-token as target "
                             "(default: skip and count them)")
    parser.add_argument("--no-answer-token", default=qa.NO_ANSWER,
                        help=f"target for unanswerable questions (default {qa.NO_ANSWER})")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    opts = qa.QAOptions(args.sep, args.context_window, args.keep_unanswerable,
                        args.no_answer_token).check()
    examples, counts = convert(args.input, opts)
    src_path, tgt_path = write_examples(examples, args.out_prefix)
    print(f"wrote {counts['written']} examples to {src_path} and {tgt_path}")
    for key in COUNTS:
        print(f"{key}: {counts.get(key, 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
