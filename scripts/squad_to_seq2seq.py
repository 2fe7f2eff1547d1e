#!/usr/bin/env python
"""Convert SQuAD-format JSON (v1.1 or v2.0) into parallel text for a seq2seq model.

Each question becomes one line pair:

* ``PREFIX.src``: ``question <sep> context`` (optionally only a window of the context
  around the answer, so that long paragraphs fit an RNN encoder), and
* ``PREFIX.tgt``: the first gold answer's text.

Unanswerable SQuAD 2.0 questions (``is_impossible: true``) are skipped and counted by
default; ``--keep-unanswerable`` writes them with a ``<no_answer>`` target instead.
All text is flattened to a single line (newlines/tabs become spaces) because fairseq
reads one example per line.

Example::

    python scripts/squad_to_seq2seq.py --input train-v2.0.json --out-prefix data/squad/train \
        --context-window 60 --keep-unanswerable
"""
import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import InputError, run_main  # noqa: E402

DEFAULT_SEP = "<sep>"
DEFAULT_NO_ANSWER = "<no_answer>"


@dataclass
class Example:
    """One converted question: the source line and the target line."""

    src: str
    tgt: str


def one_line(text):
    """Collapse all whitespace (incl. newlines) to single spaces: one example per line."""
    return " ".join(text.split())


def require(obj, key, where, kind=None):
    """Return ``obj[key]`` or raise InputError naming the JSON location that lacks it."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if key not in obj:
        raise InputError(f"{where}: missing key {key!r}")
    value = obj[key]
    if kind is not None and not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise InputError(f"{where}.{key}: expected {names}, got {type(value).__name__}")
    return value


def answer_char_span(context, answer, where):
    """Character span of the answer in the context, or None if it cannot be located.

    ``answer_start`` is trusted when the text really is there; otherwise (hand-edited or
    re-normalised files) the first occurrence of the answer text is used.
    """
    text = require(answer, "text", where, str)
    start = answer.get("answer_start")
    if isinstance(start, int) and context[start:start + len(text)] == text:
        return start, start + len(text)
    found = context.find(text)
    return (found, found + len(text)) if found >= 0 and text else None


def context_window(context, span, n_words):
    """Return at most ``n_words`` whitespace words of the context, centred on ``span``.

    Words overlapping the answer's character span are always kept (even if the answer
    alone is longer than the window); the remaining budget is split evenly before and
    after it and shifted inwards at the paragraph's edges. Without a span (unanswerable
    or unlocatable answer) the first ``n_words`` words are kept.
    """
    words, offsets, pos = context.split(), [], 0
    for word in words:
        pos = context.index(word, pos)
        offsets.append((pos, pos + len(word)))
        pos += len(word)
    if len(words) <= n_words:
        return " ".join(words)
    if span is None:
        return " ".join(words[:n_words])
    inside = [i for i, (s, e) in enumerate(offsets) if s < span[1] and e > span[0]]
    first, last = (inside[0], inside[-1]) if inside else (0, 0)
    spare = max(n_words - (last - first + 1), 0)
    lo = max(first - spare // 2, 0)
    hi = min(lo + max(n_words, last - first + 1), len(words))
    lo = max(min(lo, hi - n_words), 0)
    return " ".join(words[lo:hi])


def iter_questions(squad):
    """Yield ``(where, context, qa)`` for every question, validating the nesting on the way."""
    data = require(squad, "data", "top level", list)
    for a, article in enumerate(data):
        paragraphs = require(article, "paragraphs", f"data[{a}]", list)
        for p, paragraph in enumerate(paragraphs):
            where = f"data[{a}].paragraphs[{p}]"
            context = require(paragraph, "context", where, str)
            for q, qa in enumerate(require(paragraph, "qas", where, list)):
                yield f"{where}.qas[{q}]", context, qa


def convert_question(where, context, qa, args, counts):
    """Turn one SQuAD question into an Example, or None when it is skipped (counted)."""
    question = one_line(require(qa, "question", where, str))
    impossible = bool(qa.get("is_impossible", False))
    if impossible:
        counts["unanswerable"] += 1
        if not args.keep_unanswerable:
            counts["skipped_unanswerable"] += 1
            return None
        answer_text, span = args.no_answer_token, None
    else:
        answers = require(qa, "answers", where, list)
        if not answers:
            raise InputError(f"{where}: answerable question has an empty 'answers' list")
        answer_text = require(answers[0], "text", f"{where}.answers[0]", str)
        span = answer_char_span(context, answers[0], f"{where}.answers[0]")
        if span is None:
            counts["answer_not_in_context"] += 1
    ctx = context
    if args.context_window:
        ctx = context_window(context, span, args.context_window)
        counts["truncated_contexts"] += len(ctx.split()) < len(context.split())
    return Example(f"{question} {args.sep} {one_line(ctx)}", one_line(answer_text))


def convert(squad, args):
    """Convert a parsed SQuAD document; return (examples, Counter of what happened)."""
    counts = Counter()
    examples = []
    for where, context, qa in iter_questions(squad):
        counts["questions"] += 1
        example = convert_question(where, context, qa, args, counts)
        if example is not None:
            examples.append(example)
    counts["written"] = len(examples)
    return examples, counts


def load_json(path):
    """Parse the input file, reporting unreadable/malformed JSON as an InputError."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from err
    except json.JSONDecodeError as err:
        raise InputError(f"{path} is not valid JSON: {err}") from err


def write_examples(examples, prefix):
    """Write PREFIX.src / PREFIX.tgt (UTF-8, one example per line); return both paths."""
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    src_path, tgt_path = Path(f"{prefix}.src"), Path(f"{prefix}.tgt")
    with open(src_path, "w", encoding="utf-8") as fs, open(tgt_path, "w", encoding="utf-8") as ft:
        for ex in examples:
            fs.write(ex.src + "\n")
            ft.write(ex.tgt + "\n")
    return src_path, tgt_path


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="SQuAD v1.1/v2.0 JSON file")
    parser.add_argument("--out-prefix", required=True, help="writes PREFIX.src and PREFIX.tgt")
    parser.add_argument("--sep", default=DEFAULT_SEP,
                        help=f"token between question and context (default {DEFAULT_SEP})")
    parser.add_argument("--context-window", type=int, default=0, metavar="N",
                        help="keep only N context words centred on the answer (0 = all)")
    parser.add_argument("--keep-unanswerable", action="store_true",
                        help="write unanswerable v2 questions with --no-answer-token as target "
                             "(default: skip and count them)")
    parser.add_argument("--no-answer-token", default=DEFAULT_NO_ANSWER,
                        help=f"target for unanswerable questions (default {DEFAULT_NO_ANSWER})")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.context_window < 0:
        raise InputError("--context-window must be >= 0")
    examples, counts = convert(load_json(args.input), args)
    src_path, tgt_path = write_examples(examples, args.out_prefix)
    print(f"wrote {counts['written']} examples to {src_path} and {tgt_path}")
    for key in ("questions", "unanswerable", "skipped_unanswerable",
                "truncated_contexts", "answer_not_in_context"):
        print(f"{key}: {counts[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
