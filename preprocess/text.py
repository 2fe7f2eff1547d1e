"""Decoding, normalisation and cleaning of text lines.

Why each step:

- Lines are decoded *per line* and strictly as UTF-8, so one corrupt line costs one
  pair (counted and reported by line number) instead of either crashing the run or
  silently turning into replacement characters that would then be learned as vocabulary.
- Each side is normalised by :func:`preprocess.texttools.normalize.normalize` (NFKC,
  invisible and control characters, whitespace), the same function the gec task applies
  to a sentence at run time.
- A pair with an empty side cannot be learned from, and a pair with undecodable bytes
  cannot be trusted: both are skipped, counted per reason, and the first few line
  numbers are kept for the report.
"""
from collections import Counter

from preprocess.texttools.normalize import normalize

from .progress import track

#: How many offending line numbers per reason are kept for the report.
MAX_EXAMPLES = 5


def decode_line(raw):
    """Decode one line of bytes strictly as UTF-8; ``None`` if it is not valid UTF-8.

    A trailing carriage return (Windows line ends) is removed first.
    """
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def capitalise(word):
    """``word`` with its first letter upper-cased, the rest as it is ("iPod" -> "IPod")."""
    return word[:1].upper() + word[1:]


class SplitStats:
    """Line counts for one split: pairs read, kept, skipped per reason (with examples).

    ``over_max_len_kept`` counts valid/test pairs longer than ``--max-len``: those are
    reported but never dropped, because evaluation sets must stay complete.
    """

    def __init__(self):
        self.read = 0
        self.skipped = Counter()
        self.examples = {}
        self.over_max_len_kept = 0
        self.kept = 0

    def skip(self, reason, lineno):
        self.skipped[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(lineno)

    def as_dict(self):
        return {
            "read": self.read,
            "kept": self.kept,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_lines": {k: v for k, v in sorted(self.examples.items())},
            "over_max_len_kept": self.over_max_len_kept,
        }

    def describe(self, noun="lines"):
        """One human-readable line, e.g. ``read 10, kept 8, skipped 2 (empty 2: lines 3, 7)``;
        ``noun`` says what the examples are when they are not line numbers (JSON ids)."""
        text = f"read {self.read}, kept {self.kept}"
        total = sum(self.skipped.values())
        if total:
            parts = []
            for reason, n in sorted(self.skipped.items()):
                lines = ", ".join(map(str, self.examples.get(reason, [])))
                more = ", ..." if n > len(self.examples.get(reason, [])) else ""
                parts.append(f"{reason} {n}: {noun} {lines}{more}")
            text += f", skipped {total} ({'; '.join(parts)})"
        if self.over_max_len_kept:
            text += f", {self.over_max_len_kept} longer than --max-len kept"
        return text


def clean_pairs(pairs, stats, lowercase=False, desc="cleaning"):
    """Decode and normalise aligned ``(lineno, *byte_sides)`` tuples.

    Returns ``(lineno, *text_sides)`` tuples for the pairs kept; the others are counted in
    ``stats`` under ``malformed`` (a side is ``None``: a TSV line without a tab),
    ``invalid_utf8`` (any side undecodable) or ``empty`` (any side empty after
    normalisation). Works for any number of sides (JFLEG has a source and 4 refs).
    A progress bar (``desc``) shows on a long input (:mod:`preprocess.progress`).
    """
    kept = []
    for lineno, *sides in track(pairs, desc):
        stats.read += 1
        if any(side is None for side in sides):
            stats.skip("malformed", lineno)
            continue
        texts = [decode_line(side) for side in sides]
        if any(t is None for t in texts):
            stats.skip("invalid_utf8", lineno)
            continue
        texts = [normalize(t, lowercase) for t in texts]
        if not all(texts):
            stats.skip("empty", lineno)
            continue
        kept.append((lineno, *texts))
    stats.kept = len(kept)
    return kept
