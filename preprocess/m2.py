"""Reader for M2 files (CoNLL-2013/2014, BEA-2019 W&I+LOCNESS, FCE, NUCLE, ...).

An M2 file is a sequence of blocks separated by blank lines::

    S This are a sentence .
    A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0
    A 3 3|||M:ADJ|||good|||REQUIRED|||-NONE-|||0
    A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||1

``S`` is the tokenised erroneous sentence.  Each ``A`` line is one edit: the token span
``start end`` (0-based, end exclusive; ``start == end`` is an insertion) is replaced by
the correction (``-NONE-`` or empty = delete the span), then the error type, a
REQUIRED flag, a comment, and the annotator id.  ``noop`` edits (span ``-1 -1``) say
"this annotator found no error".  Alternatives inside a correction (``a||b``) are
allowed by the CoNLL scorer; :attr:`Edit.correction` (and so every corrected sentence
here) is the first one, :attr:`Edit.alternatives` keeps them all for the M2 scorer
(:mod:`preprocess.m2score`).

Each annotator gives one corrected sentence; :func:`read_m2` returns the erroneous
sentence with every annotator's edits and :func:`m2_pairs` turns them into
``(erroneous, corrected)`` pairs for one annotator (default 0) or all of them.  An
annotator with no ``A`` line in a block made no edits (CoNLL-2014 writes nothing for
unchanged sentences), so its correction is the source itself.

Malformed input raises :class:`InputError` naming the file and line; the CLI prints
it as one line and exits 2::

    python -m preprocess.m2 official-2014.combined.m2 --src-out train.err --tgt-out train.cor
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

from preprocess.texttools.errors import InputError

from .cli import run_main
from .lines import write_lines

NOOP_TYPES = {"noop"}
DELETE_MARKS = {"-NONE-", ""}


@dataclass
class Edit:
    start: int
    end: int
    type: str
    correction: str
    annotator: int
    # every alternative of ``a||b``, as the official scorer reads them: stripped, an
    # alternative that is exactly ``-NONE-`` is "" (delete); empty when built by hand,
    # and left out of ==, so a hand-built Edit still equals the parsed one
    alternatives: List[str] = field(default_factory=list, compare=False)

    @property
    def is_noop(self) -> bool:
        return self.start == -1 or self.type.lower() in NOOP_TYPES


@dataclass
class M2Sentence:
    source: List[str]                                   # tokens of the S line
    edits: List[Edit] = field(default_factory=list)
    lineno: int = 0                                     # line of the S line (1-based)

    @property
    def annotators(self) -> List[int]:
        return sorted({e.annotator for e in self.edits})

    @property
    def first_annotator(self) -> int:
        """The annotator of the first edit (0 without edits): a block read from FCE, or
        written by :func:`write_m2` for one annotator, has no other."""
        return self.edits[0].annotator if self.edits else 0

    def corrected(self, annotator: int = 0) -> List[str]:
        """Tokens after applying ``annotator``'s edits (source tokens if it has none).

        Edits are applied right to left in span order so earlier offsets stay valid;
        an edit overlapping an already applied one is skipped (it cannot be applied
        consistently), several insertions at one point keep their file order.
        """
        edits = [e for e in self.edits if e.annotator == annotator and not e.is_noop]
        tokens = list(self.source)
        order = sorted(range(len(edits)), key=lambda i: (edits[i].start, edits[i].end, i))
        kept: List[Edit] = []
        last_end = -1
        for i in order:
            e = edits[i]
            if e.start < last_end:
                continue   # overlaps an edit already kept
            kept.append(e)
            last_end = max(last_end, e.end)
        for e in reversed(kept):
            repl = [] if e.correction in DELETE_MARKS else e.correction.split()
            tokens[e.start:e.end] = repl
        return tokens


def _parse_edit(line: str, where: str, ntok: int) -> Edit:
    body = line[2:]
    fields = body.split("|||")
    if len(fields) < 3:
        raise InputError(f"{where}: edit line needs at least 'start end|||type|||correction'")
    span = fields[0].split()
    if len(span) != 2:
        raise InputError(f"{where}: edit span {fields[0]!r} is not 'start end'")
    try:
        start, end = int(span[0]), int(span[1])
    except ValueError:
        raise InputError(f"{where}: edit span {fields[0]!r} is not two integers") from None
    etype = fields[1].strip()
    alternatives = ["" if c == "-NONE-" else c.strip() for c in fields[2].split("||")]
    correction = fields[2].strip()
    if "||" in correction:            # CoNLL alternatives: keep the first
        correction = correction.split("||")[0].strip()
    annotator = 0
    if len(fields) >= 6 and fields[5].strip():
        try:
            annotator = int(fields[5].strip())
        except ValueError:
            raise InputError(f"{where}: annotator id {fields[5].strip()!r} is not an integer") \
                from None
    noop = start == -1 or etype.lower() in NOOP_TYPES
    if not noop:
        if not (0 <= start <= end <= ntok):
            raise InputError(f"{where}: edit span {start} {end} is outside the "
                                f"{ntok}-token sentence")
    return Edit(start, end, etype, correction, annotator, alternatives)


def read_utf8(path, what: str) -> str:
    """The whole file as text; unreadable or not UTF-8 is an InputError naming the line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not valid UTF-8") from None


def read_m2(path: str) -> List[M2Sentence]:
    """Parse ``path`` into :class:`M2Sentence` blocks (raises :class:`InputError`)."""
    text = read_utf8(path, "M2 file")
    sentences: List[M2Sentence] = []
    current: Optional[M2Sentence] = None
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        where = f"{path}:{lineno}"
        if not line.strip():
            current = None
            continue
        if line.startswith("S ") or line == "S":
            if current is not None:
                raise InputError(f"{where}: new 'S' line without a blank line before it")
            current = M2Sentence(line[2:].split(), lineno=lineno)
            sentences.append(current)
        elif line.startswith("A "):
            if current is None:
                raise InputError(f"{where}: 'A' line outside a sentence block")
            current.edits.append(_parse_edit(line, where, len(current.source)))
        else:
            raise InputError(f"{where}: expected an 'S ' or 'A ' line, got {line[:30]!r}")
    if not sentences:
        raise InputError(f"{path}: no 'S' lines: not an M2 file")
    return sentences


def m2_pairs(path: str, annotator: Union[int, str] = 0) -> List[Tuple[str, str]]:
    """``(erroneous, corrected)`` sentence pairs of ``path``.

    ``annotator`` is an id (default 0) or ``"all"``: one pair per annotator present in
    the block (a block without any edit line gives one identity pair).
    """
    pairs = []
    for sent in read_m2(path):
        src = " ".join(sent.source)
        if annotator == "all":
            ids = sent.annotators or [0]
            for a in ids:
                pairs.append((src, " ".join(sent.corrected(a))))
        else:
            pairs.append((src, " ".join(sent.corrected(int(annotator)))))
    return pairs


def m2_block(sentence: M2Sentence) -> str:
    """The sentence as an M2 block (a ``noop`` line when it has no edit)."""
    lines = ["S " + " ".join(sentence.source)]
    ann = sentence.first_annotator
    for e in sentence.edits:
        lines.append(f"A {e.start} {e.end}|||{e.type}|||{e.correction}|||REQUIRED|||-NONE-|||"
                     f"{e.annotator}")
    if not sentence.edits:
        lines.append(f"A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||{ann}")
    return "\n".join(lines) + "\n"


def write_m2(sentences: List[M2Sentence], path) -> int:
    with open(path, "w", encoding="utf-8") as f:
        for s in sentences:
            f.write(m2_block(s) + "\n")
    return len(sentences)


def annotator_arg(value: str) -> Union[int, str]:
    if value == "all":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is neither an integer nor 'all'") from None


def _main(argv) -> int:
    p = argparse.ArgumentParser(prog="python -m preprocess.m2",
                                description="Turn M2 files into (erroneous, corrected) text files.")
    p.add_argument("m2", nargs="+", help="M2 file(s)")
    p.add_argument("--annotator", type=annotator_arg, default=0,
                   help="annotator id whose corrections are used, or 'all' (default 0)")
    p.add_argument("--src-out", required=True, help="erroneous sentences, one a line")
    p.add_argument("--tgt-out", required=True, help="corrected sentences, one a line")
    args = p.parse_args(argv)
    pairs = [pair for path in args.m2 for pair in m2_pairs(path, args.annotator)]
    write_lines(args.src_out, (src for src, _ in pairs))
    write_lines(args.tgt_out, (tgt for _, tgt in pairs))
    print(f"{len(pairs)} pairs from {len(args.m2)} file(s)", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    return run_main(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
