"""The learners' own edits, read off annotated training data and undone in clean text.

Pattern noising (Choe et al. 2019, BEA-2019; White and Rozovskaya 2020): each gold edit of
an M2 or FCE training file, e.g. ``A 1 2|||R:VERB:SVA|||is`` on ``This are a sentence .``,
is a pattern read backwards, ``is -> are``: where a clean sentence has the corrected words,
the learner's words are put back, with the probability the corpus gives it (how often the
learners got that span wrong: its edits over its occurrences in the corrected sentences)
and, among a span's errors, in the corpus's own mix (by count). So the synthetic errors
have the corpora's frequencies and error-type mix rather than hand-set rates.

* An edit the learner made by leaving words out (``M:DET``, ``the`` missing) deletes them:
  ``("the",) -> ()``; one made by adding words (``U:PREP``) is anchored on the word before:
  ``("discuss",) -> ("discuss", "about")``.
* Spans longer than :data:`preprocess.patterns.MAX_SPAN` words a side are left out
  (counted): long rewrites do not transfer to other sentences.
* Only training files belong here (W&I train, FCE train): the table is built from what
  the model also trains on, never from a dev or test set.

The table is :mod:`preprocess.patterns`'s, applied by its :class:`PatternNoiser`.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional, Tuple

from preprocess.texttools.errors import InputError

from ..fce import read_fce
from ..m2 import DELETE_MARKS, M2Sentence, read_m2
from ..patterns import MAX_SPAN, PatternNoiser, Table, count, table_of


@dataclass
class LearnerStats:
    sentences: int = 0
    edits: int = 0              # edits made patterns
    too_long: int = 0           # edits over MAX_SPAN words a side, left out
    at_start: int = 0           # added words at the start of a sentence: no anchor
    types: Counter = field(default_factory=Counter)   # error type -> edits

    def as_dict(self) -> dict:
        return {"sentences": self.sentences, "edits": self.edits, "too_long": self.too_long,
                "at_start": self.at_start, "types": dict(self.types.most_common())}


def reversed_edits(s: M2Sentence, annotator: int) -> Iterable[Tuple[Tuple[str, ...],
                                                                    Tuple[str, ...], str]]:
    """(corrected span, learner's span, error type) for each edit of one annotator;
    added words come anchored on the source word before them (empty corrected span at the
    start of a sentence: no anchor)."""
    for e in s.edits:
        if e.annotator != annotator or e.is_noop:
            continue
        err = tuple(s.source[e.start:e.end])
        cor = () if e.correction in DELETE_MARKS else tuple(e.correction.split())
        if not cor:
            if e.start == 0:
                yield (), err, e.type
                continue
            anchor = s.source[e.start - 1]
            cor, err = (anchor,), (anchor,) + err
        yield cor, err, e.type


def learn(sentences: Iterable[M2Sentence], annotator: Optional[int] = None,
          stats: Optional[LearnerStats] = None) -> Table:
    """The pattern table of the sentences' gold edits (``annotator`` None: each sentence's
    first annotator, FCE's only one and W&I's 0)."""
    stats = stats if stats is not None else LearnerStats()
    made: Dict[Tuple[str, ...], Counter] = defaultdict(Counter)
    corrections = []
    for s in sentences:
        ann = s.first_annotator if annotator is None else annotator
        stats.sentences += 1
        corrections.append(s.corrected(ann))
        for cor, err, etype in reversed_edits(s, ann):
            if not cor:
                stats.at_start += 1
            elif len(cor) > MAX_SPAN or len(err) > MAX_SPAN + 1:
                stats.too_long += 1
            else:
                count(made, cor, err)
                stats.edits += 1
                stats.types[etype] += 1
    return table_of(made, corrections)


def learner_noiser(sentences: Iterable[M2Sentence], scale: float = 1.0, seed: int = 0,
                   stats: Optional[LearnerStats] = None) -> PatternNoiser:
    return PatternNoiser(learn(sentences, stats=stats), scale=scale, seed=seed)


def from_files(m2_files, fce_files, m2_annotator=0, scale: float = 1.0,
               seed: int = 0) -> Tuple[PatternNoiser, dict]:
    """A noiser with the gold edits of M2 files (``m2_annotator``'s, or ``"all"``) and FCE
    JSON files (their one annotator), and what it read (a manifest entry)."""
    sentences = []
    for path in m2_files or []:
        for s in read_m2(path):
            s.edits = [e for e in s.edits if m2_annotator in ("all", e.annotator)]
            sentences.append(s)
    sentences += [s for path in fce_files or [] for s in read_fce(path)]
    if not sentences:
        raise InputError("--learner-patterns needs --m2 or --fce training files")
    stats = LearnerStats()
    noiser = learner_noiser(sentences, scale=scale, seed=seed, stats=stats)
    return noiser, {"kind": "learner-patterns", "scale": scale, "spans": len(noiser.table),
                    **stats.as_dict()}
