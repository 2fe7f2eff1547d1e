"""Reader for FCE v2.1's JSON form (BEA-2019 release): essays with character-offset edits.

One essay a line::

    {"id": "TR1*0102*2000*01", "text": "Dear Sir ... I saws the show ...",
     "edits": [[0, [[118, 122, "saw", "IV"], [411, 527, null, "R"], ...]]], ...}

``edits`` is ``[[annotator, [[start, end, correction, type], ...]], ...]``: the essay's
characters ``text[start:end]`` are replaced by ``correction``; a ``null`` correction is
a *detection-only* edit (the annotator marked a span wrong without correcting it).
:func:`read_fce` turns an essay into tokenised sentences with token-level edits, the
:class:`preprocess.m2.M2Sentence` blocks an M2 file holds, so FCE gives training pairs
and, for its dev split, a gold M2 file for the M2 scorer (:func:`preprocess.m2.write_m2`).

How edits are resolved, per annotator (every case is counted in :class:`FceCounts`,
none silently dropped):

* a correction inside another correction (the outer one already rewrites the span) is
  ignored (``nested_in_correction``); one that partly overlaps a kept correction is
  ignored (``overlapping``);
* a detection-only span that contains corrections is the annotator's frame around them:
  the corrections are kept, the frame dropped (``detection_with_corrections``);
* a detection-only span with no correction inside marks an error nobody corrected: the
  sentence holding it would teach the model to keep an error, so that sentence is
  skipped (``detection_only``, ``sentences_skipped``);
* an edit that changes nothing once tokenised (``'`` for ``'``) is not an edit
  (``no_change``).

Tokens: each edit is widened to whole whitespace-separated words (FCE edits may start
inside a word, ``saws`` -> ``saw`` as ``s`` -> ````), so that the words around it
tokenise the same with and without it; the text between edits and each edit's old and
new text are PTB-tokenised (:mod:`preprocess.texttools.ptb`) and the words the widening brought in
are trimmed back off the token edit. Sentences are split at line breaks and after
``. ! ?`` followed by a space and no lower-case letter (not after ``Mr.``, ``e.g.`` ...);
an edit that spans a sentence end joins those sentences (``sentences_joined``).

Bad input is one line naming file and line: a line that is not JSON, a record without a
string ``text`` or with ``edits`` not shaped as above, an offset outside the text.

    python -m preprocess.fce fce-train.json --src-out train.err --tgt-out train.cor
    python -m preprocess.fce fce-dev.json --src-out dev.err --tgt-out dev.cor --m2-out dev.m2
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

from preprocess.texttools import ptb
from preprocess.texttools.errors import InputError
from preprocess.texttools.normalize import normalize

from .cli import run_main
from .lines import write_lines
from .m2 import Edit, M2Sentence, annotator_arg, write_m2

# ". ! ?" (with closing quotes/brackets) then whitespace: a sentence end unless the next
# word starts lower-case or the word before is an abbreviation
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"(\S+)$")


@dataclass
class FceCounts:
    """What the reader did with every essay, edit and sentence of a file."""

    essays: int = 0
    sentences: int = 0
    edits: int = 0                         # token edits kept
    nested_in_correction: int = 0
    overlapping: int = 0
    detection_with_corrections: int = 0
    detection_only: int = 0
    sentences_skipped: int = 0
    sentences_joined: int = 0
    no_change: int = 0
    per_annotator: Dict[int, int] = field(default_factory=dict)   # essays per annotator

    def as_dict(self) -> dict:
        return dict(vars(self))

    def describe(self) -> str:
        d = self.as_dict()
        d.pop("per_annotator")
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in d.items())


@dataclass
class _CharEdit:
    start: int
    end: int
    correction: Optional[str]    # None: detection only
    type: str


# ----------------------------------------------------------------------------- records

def _parse_edits(record: dict, where: str, text_len: int) -> Dict[int, List[_CharEdit]]:
    edits = record.get("edits", [])
    if not isinstance(edits, list):
        raise InputError(f"{where}: 'edits' is not a list")
    out: Dict[int, List[_CharEdit]] = {}
    for group in edits:
        if not (isinstance(group, list) and len(group) == 2 and isinstance(group[1], list)):
            raise InputError(f"{where}: 'edits' entry is not [annotator, [edits...]]")
        annotator = group[0]
        if not isinstance(annotator, int):
            raise InputError(f"{where}: annotator id {annotator!r} is not an integer")
        for e in group[1]:
            if not (isinstance(e, list) and len(e) >= 3 and isinstance(e[0], int)
                    and isinstance(e[1], int) and (e[2] is None or isinstance(e[2], str))):
                raise InputError(f"{where}: edit {e!r} is not [start, end, correction|null, "
                                 "type]")
            if not 0 <= e[0] <= e[1] <= text_len:
                raise InputError(f"{where}: edit {e[:3]!r} is outside the "
                                 f"{text_len}-character text")
            etype = str(e[3]) if len(e) > 3 and e[3] is not None else "FCE"
            out.setdefault(annotator, []).append(_CharEdit(e[0], e[1], e[2], etype))
    return out


def read_records(path: str):
    """``(where, record)`` for each non-empty line of an FCE JSON file."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise InputError(f"cannot read FCE file {path}: {e.strerror or e}") from None
    with f:
        for lineno, raw in enumerate(f, 1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(f"{where}: not valid UTF-8") from None
            except json.JSONDecodeError as e:
                raise InputError(f"{where}: not a JSON record ({e.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise InputError(f"{where}: record has no 'text' string")
            yield where, record


# ----------------------------------------------------------------------------- edits

def resolve(edits: List[_CharEdit], counts: FceCounts) -> Tuple[List[_CharEdit], List[_CharEdit]]:
    """(corrections to apply, detection-only spans left uncorrected), see the module doc."""
    # by start, insertions before the span they precede, outer spans before inner ones
    corrections = sorted((e for e in edits if e.correction is not None),
                         key=lambda e: (e.start, e.start != e.end, -e.end))
    kept: List[_CharEdit] = []
    for e in corrections:
        k = kept[-1] if kept else None
        if k is None or e.start >= k.end:
            kept.append(e)
        elif e.end <= k.end:
            counts.nested_in_correction += 1
        else:
            counts.overlapping += 1
    uncorrected = []
    for d in (e for e in edits if e.correction is None):
        if any(d.start <= c.start and c.end <= d.end for c in kept):
            counts.detection_with_corrections += 1
        else:
            counts.detection_only += 1
            uncorrected.append(d)
    return kept, uncorrected


def _widen(text: str, e: _CharEdit) -> Tuple[int, int]:
    """The span of the whole whitespace-separated words the edit touches.

    An insertion between two spaces stays where it is."""
    start, end = e.start, e.end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def _regions(text: str, kept: List[_CharEdit]) -> List[Tuple[int, int, str]]:
    """Widened edits, those sharing a word merged into one region (start, end, new text)."""
    regions: List[Tuple[int, int, List[_CharEdit]]] = []
    for e in kept:
        start, end = _widen(text, e)
        if regions and start < regions[-1][1] or regions and start == end == regions[-1][1]:
            s0, e0, members = regions.pop()
            start, end, members = min(s0, start), max(e0, end), members + [e]
        else:
            members = [e]
        regions.append((start, end, members))
    out = []
    for start, end, members in regions:
        new = text[start:end]
        for e in sorted(members, key=lambda m: (m.start, m.end), reverse=True):
            new = new[:e.start - start] + e.correction + new[e.end - start:]
        out.append((start, end, new))
    return out


# ----------------------------------------------------------------------------- sentences

def sentence_spans(text: str) -> List[Tuple[int, int]]:
    """Character spans of the sentences of ``text`` (see the module doc)."""
    cuts = set()
    for m in re.finditer(r"\n", text):
        cuts.add(m.end())
    for m in _SENTENCE_END.finditer(text):
        rest = text[m.end():].lstrip()
        word = _WORD_BEFORE.search(text[:m.end()])
        stem = word.group(1).rstrip("\"')]").rstrip(".!?").lower() if word else ""
        if rest[:1].islower() or (text[m.start()] == "." and stem in ptb._ABBREVIATIONS):
            continue
        cuts.add(m.end())
    bounds = [0] + sorted(cuts) + [len(text)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def _join_crossing(spans, regions, uncorrected, counts):
    """Join sentences an edit spans; mark those holding an uncorrected detection."""
    joined: List[List[int]] = []
    for a, b in spans:
        if joined and any(r[0] < joined[-1][1] < r[1] or r[0] < a < r[1] for r in regions):
            joined[-1][1] = b
            counts.sentences_joined += 1
        else:
            joined.append([a, b])
    bad = [any(d.start < b and a < d.end or d.start == d.end and a <= d.start < b
               for d in uncorrected) for a, b in joined]
    return [(a, b) for a, b in joined], bad


def _tokens(text: str) -> List[str]:
    """PTB tokens of a piece of text, quotes left plain (fixed per sentence afterwards)."""
    toks = ptb.tokenize(normalize(text)).split() if text.strip() else []
    return ['"' if t in ("``", "''") else t for t in toks]


def _sentence(text, a, b, regions, annotator, counts) -> M2Sentence:
    """Tokens of ``text[a:b]`` and the token edits of the regions inside it."""
    src: List[str] = []
    cor: List[str] = []
    spans = []    # (src start, src end, cor start, cor end) per region
    pos = a
    for start, end, new in (r for r in regions if a <= r[0] and r[1] <= b):
        gap = _tokens(text[pos:start])
        src += gap
        cor += gap
        old_toks, new_toks = _tokens(text[start:end]), _tokens(new)
        spans.append((len(src), len(src) + len(old_toks), len(cor), len(cor) + len(new_toks)))
        src += old_toks
        cor += new_toks
        pos = end
    tail = _tokens(text[pos:b])
    src, cor = ptb._ptb_quotes(src + tail), ptb._ptb_quotes(cor + tail)
    edits = []
    for s0, s1, c0, c1 in spans:
        # trim the words the widening brought in (and any unchanged token at the ends)
        while s0 < s1 and c0 < c1 and src[s0] == cor[c0]:
            s0, c0 = s0 + 1, c0 + 1
        while s0 < s1 and c0 < c1 and src[s1 - 1] == cor[c1 - 1]:
            s1, c1 = s1 - 1, c1 - 1
        if src[s0:s1] == cor[c0:c1]:
            counts.no_change += 1
            continue
        edits.append(Edit(s0, s1, "FCE", " ".join(cor[c0:c1]) or "-NONE-", annotator))
    counts.edits += len(edits)
    return M2Sentence(src, edits)


def essay_sentences(text: str, edits: List[_CharEdit], annotator: int,
                    counts: FceCounts) -> List[M2Sentence]:
    """One essay, one annotator: its sentences with token edits (skips counted)."""
    kept, uncorrected = resolve(edits, counts)
    regions = _regions(text, kept)
    spans, bad = _join_crossing(sentence_spans(text), regions, uncorrected, counts)
    out = []
    for (a, b), skip in zip(spans, bad):
        if skip:
            counts.sentences_skipped += 1
            continue
        sent = _sentence(text, a, b, regions, annotator, counts)
        if sent.source:
            out.append(sent)
    return out


def read_fce(path: str, annotator: Union[int, str, None] = None,
             counts: Optional[FceCounts] = None) -> List[M2Sentence]:
    """Sentences of an FCE JSON file with ``annotator``'s edits as M2 blocks.

    ``annotator``: an id, ``"all"`` (each annotator's version of each sentence), or None
    (each essay's first annotator; FCE has one, id 0). An essay without any edit is one
    annotator's with no error.
    """
    counts = counts if counts is not None else FceCounts()
    out: List[M2Sentence] = []
    for where, record in read_records(path):
        by_annotator = _parse_edits(record, where, len(record["text"]))
        counts.essays += 1
        ids = sorted(by_annotator) or [0]
        if annotator == "all":
            chosen = ids
        elif annotator is None:
            chosen = ids[:1]
        else:
            chosen = [int(annotator)]
        for a in chosen:
            counts.per_annotator[a] = counts.per_annotator.get(a, 0) + 1
            sents = essay_sentences(record["text"], by_annotator.get(a, []), a, counts)
            for s in sents:
                s.lineno = int(where.rsplit(":", 1)[1])
            out.extend(sents)
    counts.sentences += len(out)
    return out


def fce_pairs(path: str, annotator: Union[int, str, None] = None,
              counts: Optional[FceCounts] = None) -> List[Tuple[str, str]]:
    """``(erroneous, corrected)`` tokenised sentence pairs of an FCE JSON file."""
    return [(" ".join(s.source), " ".join(s.corrected(s.first_annotator)))
            for s in read_fce(path, annotator, counts)]


def _main(argv) -> int:
    p = argparse.ArgumentParser(prog="python -m preprocess.fce",
                                description="Turn FCE JSON essays into tokenised "
                                            "(erroneous, corrected) sentences and M2.")
    p.add_argument("json", nargs="+", help="FCE JSON file(s), one essay a line")
    p.add_argument("--annotator", type=annotator_arg, default=None,
                   help="annotator id, or 'all' (default: each essay's first)")
    p.add_argument("--src-out", required=True, help="erroneous sentences, one a line")
    p.add_argument("--tgt-out", required=True, help="corrected sentences, one a line")
    p.add_argument("--m2-out", help="also write the sentences and token edits as M2")
    args = p.parse_args(argv)
    counts = FceCounts()
    sents = [s for path in args.json for s in read_fce(path, args.annotator, counts)]
    write_lines(args.src_out, (" ".join(s.source) for s in sents))
    write_lines(args.tgt_out, (" ".join(s.corrected(s.first_annotator))
                               for s in sents))
    if args.m2_out:
        write_m2(sents, args.m2_out)
    print(f"{len(sents)} sentences from {counts.essays} essays: {counts.describe()}",
          file=sys.stderr)
    return 0


def main(argv=None) -> int:
    return run_main(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
