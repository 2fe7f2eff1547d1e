"""Learner error patterns read off real (erroneous, corrected) pairs, applied to clean text.

The rule-based :class:`preprocess.noise.Noiser` makes the error *types* learners make;
which words they get wrong, and how often, is another matter. Given real pairs (JFLEG
dev's training part: the learner's sentence and each of its references), this module

1. aligns each correction with its erroneous sentence word by word (``difflib``) and
   collects the edits of at most ``MAX_SPAN`` words a side, read in the direction that
   *makes* the error: ``("a",) -> ()`` (an article the learner left out), ``("to",) ->
   ("for",)``, ``("people",) -> ("peoples",)``; a word the learner added is anchored on the
   word before it: ``("discuss",) -> ("discuss", "about")``;
2. counts how often each corrected span occurs in the corrections at all, so that each
   edit gets its observed probability: P(error | span) = edits / occurrences;
3. noises clean sentences by walking their words and, where a known span starts, making
   one of its errors with that probability (times ``scale``), chosen by its count.

So a synthetic corpus made from captions gets the learners' own error rates for the
words they share, e.g. how often "the" disappears, instead of one rate for every article.

Shapes of the data: a pattern table maps a span (a tuple of 1..MAX_SPAN lowercased words)
to ``(probability, [(error tuple, count), ...])``.
"""
from __future__ import annotations

import difflib
import random
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Sequence, Tuple

from .text import capitalise

MAX_SPAN = 2   # longest corrected / erroneous span kept as a pattern (words)

Span = Tuple[str, ...]
Table = Dict[Span, Tuple[float, List[Tuple[Span, int]]]]


def edits(correct: Sequence[str], erroneous: Sequence[str]) -> Iterable[Tuple[Span, Span]]:
    """(corrected span, erroneous span) for each word-level difference of two sentences."""
    matcher = difflib.SequenceMatcher(a=list(correct), b=list(erroneous), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        cor, err = tuple(correct[i1:i2]), tuple(erroneous[j1:j2])
        if tag == "insert":   # the learner added words: anchor them on the word before
            if i1 == 0:
                continue
            cor, err = (correct[i1 - 1],), (correct[i1 - 1],) + err
        if 0 < len(cor) <= MAX_SPAN and len(err) <= MAX_SPAN + (tag == "insert"):
            yield cor, err


def learn(pairs: Iterable[Tuple[str, str]]) -> Table:
    """Pattern table from (erroneous, corrected) sentence pairs, tokenised by spaces."""
    made: Dict[Span, Counter] = defaultdict(Counter)
    corrections = []
    for erroneous, correct in pairs:
        cor_words, err_words = correct.split(), erroneous.split()
        corrections.append(cor_words)
        for cor, err in edits(cor_words, err_words):
            count(made, cor, err)
    return table_of(made, corrections)


def count(made: Dict[Span, Counter], cor: Span, err: Span) -> None:
    """Count one edit: a casing error is kept as written; any other in lower case, and
    given the case of the words it replaces when applied (see _apply)."""
    made[_low(cor)][err if _low(err) == _low(cor) else _low(err)] += 1


def table_of(made: Dict[Span, Counter], corrections: Iterable[Sequence[str]]) -> Table:
    """The table of counted edits, each span's probability its edits over its occurrences
    in the corrected sentences (tokens)."""
    seen: Counter = Counter()
    for words in corrections:
        words = [w.lower() for w in words]
        for n in range(1, MAX_SPAN + 1):
            seen.update(s for s in zip(*(words[k:] for k in range(n))) if s in made)
    table: Table = {}
    for span, errors in made.items():
        total = sum(errors.values())
        table[span] = (total / max(seen[span], total), errors.most_common())   # <= 1
    return table


def _low(span: Sequence[str]) -> Span:
    return tuple(w.lower() for w in span)


def _apply(err: Span, cor: Sequence[str]) -> List[str]:
    """The words an error puts in place of ``cor``, in ``cor``'s case where it is not a
    casing error itself (a capital at the start of a sentence stays there)."""
    out = list(err)
    if _low(err) == _low(cor):
        return out   # a casing error, e.g. "I" -> "i"
    for k, word in enumerate(out[:len(cor)]):
        if word == cor[k].lower():   # a word the error keeps: keep it exactly
            out[k] = cor[k]
    if out and cor[0][:1].isupper() and out[0][:1].islower():
        out[0] = capitalise(out[0])
    return out


class PatternNoiser:
    """Seeded application of a pattern table to clean, space-tokenised sentences."""

    def __init__(self, table: Table, scale: float = 1.0, seed: int = 0):
        if scale < 0:
            raise ValueError(f"pattern scale must not be negative, got {scale}")
        self.table, self.scale = table, scale
        self.rng = random.Random(seed)

    def noise(self, sentence: str) -> str:
        words = sentence.split()
        out: List[str] = []
        i = 0
        while i < len(words):
            n = self._try(words, i, out)
            if not n:   # no error here: the word stays
                out.append(words[i])
                n = 1
            i += n
        if out and words[0][:1].isupper() and out[0][:1].islower() \
                and out[0].lower() != words[0].lower():
            out[0] = capitalise(out[0])   # the first word was deleted
        return " ".join(out) if out != words else sentence

    def _try(self, words: List[str], i: int, out: List[str]) -> int:
        """Make one error at position i (appended to out); the words consumed, or 0."""
        for n in range(MAX_SPAN, 0, -1):
            span = _low(words[i:i + n])
            if len(span) < n or span not in self.table:
                continue
            prob, errors = self.table[span]
            if self.rng.random() >= prob * self.scale:
                return 0   # the longest known span decides; no second draw for shorter ones
            total = sum(c for _, c in errors)
            pick = self.rng.random() * total
            for err, count in errors:
                pick -= count
                if pick < 0:
                    break
            out.extend(_apply(err, words[i:i + n]))
            return n
        return 0
