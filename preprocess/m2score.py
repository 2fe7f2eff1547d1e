"""MaxMatch (M2): the CoNLL-2013/2014 GEC metric, computed as M2Scorer 3.2 computes it.

Dahlmeier & Ng (2012), "Better evaluation for grammatical error correction".  A system's
edits are not given; they are read off the alignment of the source with the hypothesis
that agrees best with the gold edits, so a system is not punished for an alignment the
annotator would not have chosen.  Written for this project from the paper and from the
behaviour of the official scorer (release 3.2, the one behind all CoNLL-2014 figures),
whose figures it reproduces (``tests/integration/test_m2score.py``).

Algorithm, for each sentence (tokens split on whitespace):

1. **Lattice.**  Two Levenshtein matrices of source against hypothesis, with substitution
   cost 1 and 2 (insertion and deletion cost 1); the cells on some minimal-cost path of
   either matrix are the vertices, their minimal steps the arcs.  A step is an
   insertion, a deletion, a substitution or an unchanged token (``noop``).
2. **Edit graph.**  The transitive closure over the vertices (Floyd-Warshall order):
   arc ``i->j`` is added when ``i->k->j`` is shorter (in lattice steps) than any arc
   ``i->j`` so far and the merged edit spans at most ``max_unchanged_words`` unchanged
   tokens (default 2); so ``a b c -> x b y`` can be one edit ``a b c -> x b y`` that
   matches a gold multi-word edit.  Merged arcs made only of unchanged tokens are then
   dropped (see *quirks*).
3. **Weights, per annotator.**  An arc whose edit equals a gold edit of that annotator
   (same span, same source text, correction one of the gold alternatives) weighs
   ``-len(arcs)``; any other arc its length in steps plus ``0.001``; unchanged tokens
   their length.  Insertions at one point are matched in order (the official
   two-pointer walk), so two system insertions cannot both claim one gold insertion.
4. **Shortest path** (Bellman-Ford over the arcs in the official order, so that equal
   paths are broken the same way): its non-noop arcs are the system's edits.
5. **Counts.**  Proposed = system edits; gold = the annotator's edits; correct = system
   edits equal to a gold edit, scanned left to right through the gold edits in file
   order.  The sentence takes the annotator that gives the best F-beta of the counts
   accumulated so far *including* this sentence; ties go to more correct edits, then to
   fewer ``proposed + beta^2 * gold``, then to the lower annotator id.
6. **Corpus.**  P = correct/proposed (1.0 when nothing is proposed), R = correct/gold
   (1.0 when there is no gold edit), F-beta = (1+b^2) P R / (b^2 P + R) (0 when P = R = 0).

Conventions of the official scorer followed here:

* Gold: an annotator present in a block (any ``A`` line, a ``noop`` line included)
  competes for that sentence; one without an ``A`` line there does not; a block without
  any ``A`` line scores against annotator 0 with no gold edits.  A ``noop`` line (type
  ``noop`` or a negative offset) is no gold edit.  Corrections are split on ``||`` (every
  alternative counts), ``-NONE-`` means the empty correction (deletion), and the source
  text of a gold edit is the S-line tokens of its span.  Matching is case- and
  whitespace-sensitive unless ``ignore_whitespace_casing`` (then system edits that only
  change case or spacing are not counted at all, as the official option does).
* Hypotheses: one line a sentence, split on ``\\n`` only (:func:`read_hypothesis_lines`),
  each line split on whitespace; the number of lines must equal the number of blocks.
* Quirks reproduced because they change figures: an insertion before the first source
  token after other insertions carries the offset of its hypothesis position (3.2's
  first lattice row; fixed in the later development repository, not in 3.2); the
  lattice arcs in both matrices are listed twice; removing merged noop arcs skips the
  arc that follows each removed one (it stays); one system edit can match several equal
  gold edits.
* Where this module knowingly differs: a malformed M2 file is an error naming its line
  (:func:`preprocess.m2.read_m2`) where the official drops an edit or stops with an
  assertion; the M2 file's lines end at ``\n`` only (the official also splits at other
  Unicode line separators); annotators compete in increasing id order (the official's
  Python 2 dictionary order, the same for the ids M2 files use).

**Guard.**  Repetitive output ("the the the ...") or a long rewritten stretch gives many
equal-cost alignments, and the edit graph then grows towards the square of the lattice
size (the official closure takes time cubic in the lattice's vertices, its shortest path
vertices times arcs): on CoNLL-2014 test, a 14-token sentence answered by "the" 40
times keeps the official scorer busy for a minute, a 31-token one answered by "the" 50
times for far longer.  Here the edit graph of one sentence may hold at most :data:`MAX_GRAPH_ARCS` =
50,000 arcs (lattice arcs and merged ones, counted with the official list's repeats);
on CoNLL-2014 test, the annotators' own corrections and noisy variants of them need at
most about 3,500, and the time here grows about linearly with the arcs (about half a
second for a sentence at the bound).  A sentence that would exceed it is scored on the
lattice without merged arcs (:func:`fallback_edits`): its arcs, plus one arc for each
place where a gold edit of the annotator fits between two lattice vertices (joined by a
path over at most ``max_unchanged_words`` unchanged tokens), weighted as above; on the
shortest path, changes are merged into one edit over up to ``max_unchanged_words``
unchanged tokens, greedily from the left.  So the gold edits the system made still
count (up to the finer points of the full graph); mostly the grouping of the other
changes, and so the proposed count, can differ from the official scorer's.
:attr:`M2Score.guarded` counts those sentences and the command line reports them.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from preprocess.texttools.errors import InputError

from .m2 import DELETE_MARKS, M2Sentence, read_utf8
from .m2graph import (EPSILON, INF, GoldEdit, Step, SystemEdit, _best_path_edits,
                      _build_lattice, _close, _Graph, _lattices, _merge, _step, _TooLarge,
                      _weights, count_correct)

MAX_GRAPH_ARCS = 50_000    # guard: arcs of one sentence's edit graph (see the docstring)


@dataclass
class M2Score:
    correct: int = 0
    proposed: int = 0
    gold: int = 0
    beta: float = 0.5
    guarded: int = 0     # sentences scored by the fallback (edit graph over the bound)
    chosen: List[int] = field(default_factory=list)   # annotator used for each sentence

    @property
    def precision(self) -> float:
        return self.correct / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 1.0

    @property
    def f(self) -> float:
        p, r, b2 = self.precision, self.recall, self.beta * self.beta
        return (1.0 + b2) * p * r / (b2 * p + r) if b2 * p + r else 0.0


# ----------------------------------------------------------------------------- gold side

def gold_edits(sentence: M2Sentence) -> Dict[int, List[GoldEdit]]:
    """Each annotator of the block with its gold edits in file order ({0: []} if none)."""
    by_annotator: Dict[int, List[GoldEdit]] = {}
    n = len(sentence.source)
    for e in sentence.edits:
        edits = by_annotator.setdefault(e.annotator, [])
        if e.type == "noop" or e.start < 0 or e.end < 0 or e.start > n or e.end > n:
            continue   # "no error" lines make the annotator compete, with nothing to find
        alternatives = tuple(e.alternatives) or ("" if e.correction in DELETE_MARKS
                                                 else e.correction,)
        edits.append(GoldEdit(e.start, e.end, " ".join(sentence.source[e.start:e.end]),
                              alternatives))
    return dict(sorted(by_annotator.items())) or {0: []}


def read_hypothesis_lines(path) -> List[str]:
    """The official reading of a system file: UTF-8, one sentence a ``\\n``-ended line."""
    lines = read_utf8(path, "hypothesis file").split("\n")
    if lines[-1] == "":
        lines.pop()         # a final newline ends the last line, it does not add one
    return [line.strip() for line in lines]


# ----------------------------------------------------------------------------- guard

def fallback_edits(src: Sequence[str], hyp: Sequence[str], golds: Sequence[GoldEdit],
                   max_unchanged: int = 2, forward=None) -> List[SystemEdit]:
    """The guard's fallback: the best path through the lattice alone, without merged
    arcs, except one arc for each way a gold edit fits the lattice (so the gold edits
    the system made still count); the path's changes are then merged into edits as the
    full graph would merge them.  Linear in the lattice, plus the gold arcs' checks.
    ``forward``: :func:`_forward_steps` of the sentence, when already computed."""
    width = len(hyp) + 1
    out = forward if forward is not None else _forward_steps(src, hyp, _lattices(src, hyp))
    extra: Dict[int, List[Tuple[int, Step]]] = defaultdict(list)
    for u, v, edit in _gold_arcs(out, hyp, golds, width, max_unchanged):
        extra[u].append((v, edit))
    reward = -2 * (len(src) + len(hyp) + 1)    # below any path of lattice arcs alone
    # shortest path over the vertices in increasing order (every arc goes forward)
    best: Dict[int, Tuple[float, int, Optional[Step]]] = {0: (0, -1, None)}
    for u in sorted(out):
        if u not in best:
            continue
        for v, edit in out[u] + extra.get(u, []):
            w = reward if edit.kind == "gold" else 1 + (edit.kind != "noop") * EPSILON
            if v not in best or best[u][0] + w < best[v][0]:
                best[v] = (best[u][0] + w, u, edit)
    path, v = [], len(src) * width + len(hyp)
    while v != 0:
        _, v, edit = best[v]
        path.append(edit)
    return _runs_of_changes(reversed(path), max_unchanged)


def _forward_steps(src, hyp, lattices) -> Dict[int, List[Tuple[int, Step]]]:
    """{u: [(v, step), ...]} over the arcs of both lattices, in arc order."""
    out: Dict[int, List[Tuple[int, Step]]] = defaultdict(list)
    one, two = lattices
    for (u, v), (i, j, di, dj) in sorted({**one, **two}.items()):
        out[u].append((v, _step(src, hyp, i, j, di, dj)))
    return out


def _gold_arcs(out, hyp, golds, width, max_unchanged) -> List[Tuple[int, int, Step]]:
    """(u, v, edit) for each gold edit and hypothesis position where its correction
    stands between two lattice vertices joined by a path over at most ``max_unchanged``
    unchanged tokens (as a merged arc of the full edit graph would be)."""
    arcs = []
    for gold in golds:
        for correction in gold.corrections:
            tokens = correction.split()
            for j in range(len(hyp) - len(tokens) + 1):
                if hyp[j:j + len(tokens)] != tokens:
                    continue
                u, v = gold.start * width + j, gold.end * width + j + len(tokens)
                if u != v and _fewest_unchanged(out, u, v, width) <= max_unchanged:
                    arcs.append((u, v, Step("gold", gold.start, gold.end, gold.original,
                                            correction, 0)))
    return arcs


def _fewest_unchanged(out, u, v, width) -> float:
    """Fewest unchanged tokens on a lattice path from u to v (inf if there is none)."""
    last_i, last_j = divmod(v, width)
    fewest, todo = {u: 0}, [u]
    while todo:
        x = heapq.heappop(todo)          # smallest vertex first: all its arcs in are done
        for y, edit in out.get(x, ()):
            if y // width > last_i or y % width > last_j:
                continue
            n = fewest[x] + (edit.kind == "noop")
            if y not in fewest:
                heapq.heappush(todo, y)
            elif fewest[y] <= n:
                continue
            fewest[y] = n
    return fewest.get(v, INF)


def _runs_of_changes(steps: Iterable[Step], max_unchanged: int) -> List[SystemEdit]:
    """Steps left to right -> edits: changed steps merged into one edit over at most
    ``max_unchanged`` unchanged tokens, as the full graph's cheaper merged arcs would be
    (greedily, which gives the fewest edits on this path); a gold arc stands alone."""
    edits: List[SystemEdit] = []
    run: Optional[Step] = None
    gap: List[Step] = []              # unchanged steps since the run's last change

    def flush():
        if run is not None:
            edits.append((run.start, run.end, run.original, run.correction))

    for s in steps:
        if s.kind == "noop":
            gap.append(s)
        elif s.kind == "gold":
            flush()
            edits.append((s.start, s.end, s.original, s.correction))
            run, gap = None, []
        elif run is not None and run.unchanged + len(gap) <= max_unchanged:
            for t in gap + [s]:
                run = _merge(run, t)
            gap = []
        else:
            flush()
            run, gap = s, []
    flush()
    return edits


# ----------------------------------------------------------------------------- scoring

def _edit_graph(src, hyp, lattices, max_unchanged: int, limit: int) -> Optional[_Graph]:
    """The sentence's edit graph, or None when it would exceed ``limit`` arcs."""
    try:
        g = _build_lattice(src, hyp, limit, lattices)
        _close(g, max_unchanged, limit)
        return g
    except _TooLarge:
        return None


def _only_real_changes(edits: List[SystemEdit]) -> List[SystemEdit]:
    return [e for e in edits
            if e[2].replace(" ", "").lower() != e[3].replace(" ", "").lower()]


def sentence_edits(source: Sequence[str], hypothesis: Sequence[str],
                   annotators: Dict[int, List[GoldEdit]], max_unchanged_words: int = 2,
                   ignore_whitespace_casing: bool = False, limit: int = MAX_GRAPH_ARCS
                   ) -> Tuple[Dict[int, List[SystemEdit]], bool]:
    """The system edits extracted against each annotator, and whether the guard fell back."""
    src, hyp = list(source), list(hypothesis)
    lattices = _lattices(src, hyp)
    g = _edit_graph(src, hyp, lattices, max_unchanged_words, limit)
    forward = _forward_steps(src, hyp, lattices) if g is None else None
    result = {}
    for annotator, golds in annotators.items():
        if g is None:
            edits = fallback_edits(src, hyp, golds, max_unchanged_words, forward)
        else:
            edits = _best_path_edits(g, _weights(g, golds))
        if ignore_whitespace_casing:
            edits = _only_real_changes(edits)
        result[annotator] = edits
    return result, g is None


def _f(correct: int, proposed: int, gold: int, beta: float) -> float:
    # the official per-sentence F: float arithmetic in this order so that ties are ties
    denominator = beta * beta * gold + proposed
    if denominator == 0:
        return 1.0 if correct == 0 else 0.0
    return (1 + beta * beta) * correct / denominator


def _choose(score: M2Score, per_annotator) -> Tuple[int, int, int, int]:
    """The annotator whose counts give the best F of the corpus so far (official order
    of tie-breaks); returns (annotator, correct, proposed, gold) of this sentence."""
    b2, best, best_key = score.beta * score.beta, None, None
    for annotator, (c, p, g) in per_annotator:
        tc, tp, tg = score.correct + c, score.proposed + p, score.gold + g
        key = (_f(tc, tp, tg, score.beta), tc, -(tp + b2 * tg))
        if best_key is None or key > best_key:
            best, best_key = (annotator, c, p, g), key
    return best


def score_corpus(sentences: Sequence[M2Sentence], hypotheses: Sequence[str],
                 beta: float = 0.5, max_unchanged_words: int = 2,
                 ignore_whitespace_casing: bool = False,
                 limit: int = MAX_GRAPH_ARCS) -> M2Score:
    """Corpus M2 counts of ``hypotheses`` (one string a sentence) against ``sentences``."""
    if len(hypotheses) != len(sentences):
        raise InputError(f"{len(hypotheses)} hypotheses for {len(sentences)} M2 sentences")
    score = M2Score(beta=beta)
    for sentence, hyp in zip(sentences, hypotheses):
        annotators = gold_edits(sentence)
        edits, guarded = sentence_edits(sentence.source, hyp.split(), annotators,
                                        max_unchanged_words, ignore_whitespace_casing, limit)
        counts = [(a, (count_correct(edits[a], golds), len(edits[a]), len(golds)))
                  for a, golds in annotators.items()]
        annotator, c, p, g = _choose(score, counts)
        score.correct, score.proposed, score.gold = (score.correct + c, score.proposed + p,
                                                     score.gold + g)
        score.guarded += guarded
        score.chosen.append(annotator)
    return score
