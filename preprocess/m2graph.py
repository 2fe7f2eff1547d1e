"""The edit graph of one sentence, as M2Scorer 3.2 builds it (:mod:`preprocess.m2score`'s
docstring says how and why): the lattice of Levenshtein steps between the source and the
hypothesis, its closure (merged edits), the arcs' weights against the gold edits and the
best path's edits; and the types both modules share."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, NamedTuple, Sequence, Tuple

EPSILON = 0.001            # the official weight added to an arc that matches no gold edit
INF = float("inf")

Arc = Tuple[int, int]      # (from vertex, to vertex); vertex = i * (len(hyp) + 1) + j


class GoldEdit(NamedTuple):
    start: int
    end: int
    original: str                  # source tokens of the span, joined by one space
    corrections: Tuple[str, ...]   # every alternative; "" is a deletion


class Step(NamedTuple):
    """An arc's edit: a lattice step, or several merged (``kind`` 'sub' if mixed)."""
    kind: str        # 'ins' | 'del' | 'sub' | 'noop' ('gold': a gold arc of the fallback)
    start: int
    end: int
    original: str
    correction: str
    unchanged: int   # unchanged tokens inside


SystemEdit = Tuple[int, int, str, str]   # start, end, original, correction


# ----------------------------------------------------------------------------- lattice

class _Graph:
    """One sentence's edit graph: the official arc list (with its duplicates and order),
    each arc's edit and length in lattice steps."""

    def __init__(self, n_hyp: int):
        self.width = n_hyp + 1
        self.vertices: List[int] = []
        self.arcs: List[Arc] = []
        self.step: Dict[Arc, Step] = {}
        self.length: Dict[Arc, int] = {}


class _TooLarge(Exception):
    pass


def _step(src, hyp, i, j, di, dj) -> Step:
    """The lattice step into cell (i, j) from (i - di, j - dj)."""
    if di and dj:
        a, b = src[i - 1], hyp[j - 1]
        return Step("noop", i - 1, i, a, b, 1) if a == b else Step("sub", i - 1, i, a, b, 0)
    if di:
        return Step("del", i - 1, i, src[i - 1], "", 0)
    # 3.2 puts the insertions of the first row at their hypothesis position, not at 0
    at = j - 1 if i == 0 else i
    return Step("ins", at, at, "", hyp[j - 1], 0)


def _distances(src, hyp, sub_cost) -> List[List[int]]:
    """Levenshtein matrix: insertion and deletion cost 1, substitution ``sub_cost``."""
    n, w = len(src), len(hyp) + 1
    dist = [list(range(w))] + [[i] + [0] * (w - 1) for i in range(1, n + 1)]
    for i in range(1, n + 1):
        row, up = dist[i], dist[i - 1]
        for j in range(1, w):
            diag = up[j - 1] + (0 if src[i - 1] == hyp[j - 1] else sub_cost)
            row[j] = min(diag, up[j] + 1, row[j - 1] + 1)
    return dist


def _lattice(src, hyp, sub_cost) -> Dict[Arc, Tuple[int, int, int, int]]:
    """Arcs of all minimal-cost alignments: {(u, v): (i, j, di, dj)} for the step into
    cell (i, j) from (i - di, j - dj)."""
    n, m, w = len(src), len(hyp), len(hyp) + 1
    dist = _distances(src, hyp, sub_cost)
    arcs = {}
    reached = [[False] * w for _ in range(n + 1)]
    reached[n][m] = True
    for i in range(n, -1, -1):        # predecessors come later in this order
        for j in range(m, -1, -1):
            if not reached[i][j]:
                continue
            d = dist[i][j]
            for di, dj in ((1, 1), (1, 0), (0, 1)):
                pi, pj = i - di, j - dj
                if pi < 0 or pj < 0:
                    continue
                cost = 1 if not (di and dj) else (0 if src[i - 1] == hyp[j - 1] else sub_cost)
                if dist[pi][pj] + cost == d:
                    arcs[(pi * w + pj, i * w + j)] = (i, j, di, dj)
                    reached[pi][pj] = True
    return arcs


def _lattices(src, hyp):
    """The arcs of both Levenshtein matrices (substitution cost 1 and 2)."""
    return _lattice(src, hyp, 1), _lattice(src, hyp, 2)


def _build_lattice(src, hyp, limit, lattices=None) -> _Graph:
    g = _Graph(len(hyp))
    one, two = lattices or _lattices(src, hyp)
    # the official lists the arcs of both matrices, so an arc in both is there twice
    g.arcs = sorted(list(one) + list(two))
    if len(g.arcs) > limit:
        raise _TooLarge
    for arc, (i, j, di, dj) in {**one, **two}.items():
        g.step[arc] = _step(src, hyp, i, j, di, dj)
        g.length[arc] = 1
    # the first and last cell are there even without arcs (empty source and hypothesis)
    g.vertices = sorted({0, len(src) * g.width + len(hyp)} | {v for arc in g.arcs for v in arc})
    return g


# ----------------------------------------------------------------------------- closure

def _join(a: str, b: str) -> str:
    return f"{a} {b}" if a and b else a or b


def _merge(a: Step, b: Step) -> Step:
    """``a`` followed by ``b`` as one edit."""
    kind = a.kind if a.kind == b.kind and a.kind != "sub" else "sub"
    return Step(kind, a.start, b.end, _join(a.original, b.original),
                _join(a.correction, b.correction), a.unchanged + b.unchanged)


def _close(g: _Graph, max_unchanged: int, limit: int) -> None:
    """Add the merged arcs (Floyd-Warshall over the sorted vertices, the official order),
    then drop the merged arcs that change nothing."""
    preds, succs = defaultdict(set), defaultdict(set)
    for u, v in g.arcs:
        preds[v].add(u)
        succs[u].add(v)
    step, length, arcs = g.step, g.length, g.arcs
    for k in g.vertices:
        if not preds[k] or not succs[k]:
            continue
        after = sorted(succs[k])       # no arc into or out of k is added in this round
        for i in sorted(preds[k]):
            s_ik, d_ik = step[(i, k)], length[(i, k)]
            for j in after:
                d = d_ik + length[(k, j)]
                if d >= length.get((i, j), INF):
                    continue
                merged = _merge(s_ik, step[(k, j)])
                if merged.unchanged > max_unchanged:
                    continue
                arcs.append((i, j))
                step[(i, j)], length[(i, j)] = merged, d
                preds[j].add(i)
                succs[i].add(j)
                if len(arcs) > limit:
                    raise _TooLarge
    _drop_merged_noops(g)


def _drop_merged_noops(g: _Graph) -> None:
    # The official removes them from the list it is iterating over, so the arc after
    # each removed one is never looked at and stays: kept here for identical paths.
    kept, skip_next = [], False
    for arc in g.arcs:
        if skip_next:
            kept.append(arc)
            skip_next = False
        elif g.step[arc].kind == "noop" and g.length[arc] > 1:
            del g.step[arc]
            skip_next = True
        else:
            kept.append(arc)
    g.arcs = kept


# ----------------------------------------------------------------------------- weights

def _matches(s: Step, gold: GoldEdit) -> bool:
    return (s.start == gold.start and s.end == gold.end and s.original == gold.original
            and s.correction in gold.corrections)


def _weights(g: _Graph, golds: Sequence[GoldEdit]) -> Dict[Arc, float]:
    """Arc weights for one annotator: gold-matching arcs ``-len(arcs)``, others their
    length (+ EPSILON unless unchanged)."""
    weight: Dict[Arc, float] = dict(g.length)
    by_span: Dict[Tuple[int, int], List[Arc]] = defaultdict(list)
    for arc in g.arcs:
        s = g.step[arc]
        by_span[(s.start, s.end)].append(arc)
    gold_by_span: Dict[Tuple[int, int], List[GoldEdit]] = defaultdict(list)
    for gold in golds:
        gold_by_span[(gold.start, gold.end)].append(gold)
    reward = -len(g.arcs)
    for span, arcs in by_span.items():
        arcs.sort()
        if span[0] == span[1]:
            _weigh_insertions(g, arcs, gold_by_span[span], weight, reward)
        else:
            for arc in arcs:            # duplicated arcs are weighed twice, as officially
                if any(_matches(g.step[arc], gold) for gold in gold_by_span[span]):
                    weight[arc] = reward
                elif g.step[arc].kind != "noop":
                    weight[arc] += EPSILON
    return weight


def _weigh_insertions(g: _Graph, arcs: List[Arc], golds: List[GoldEdit],
                      weight: Dict[Arc, float], reward: float) -> None:
    """Insertions at one point: the official two-pointer walk.  Arcs are visited from
    both ends of the sorted list in turn; a gold insertion matched from the left (right)
    is used up with the golds left (right) of it, and the arcs that cannot follow
    (precede) the matched arc on a path are skipped with an EPSILON penalty."""
    left, right, cur = 0, len(arcs) - 1, 0
    g_left, g_right = 0, len(golds) - 1
    while left <= right:
        arc, from_left = arcs[cur], cur == left
        order = range(g_left, g_right + 1)
        hit = next((i for i in (order if from_left else reversed(order))
                    if _matches(g.step[arc], golds[i])), None)
        if hit is None:
            if g.step[arc].kind != "noop":
                weight[arc] += EPSILON
            if from_left:
                left, cur = left + 1, right
            else:
                right, cur = right - 1, left
            continue
        weight[arc] = reward
        if from_left:
            g_left, left = hit + 1, left + 1
            while left < len(arcs) and arcs[left][0] != arc[1]:
                weight[arcs[left]] += EPSILON
                left += 1
            cur = left
        else:
            g_right, right = hit - 1, right - 1
            while right >= 0 and arcs[right][1] != arc[0]:
                weight[arcs[right]] += EPSILON
                right -= 1
            cur = right


# ----------------------------------------------------------------------------- best path

def _best_path_edits(g: _Graph, weight: Dict[Arc, float]) -> List[SystemEdit]:
    """Bellman-Ford from the first to the last vertex, relaxing the arcs in list order
    with strict improvement (the official tie-breaking); rounds stop once nothing
    changes, which gives the official result with fewer rounds."""
    dist = dict.fromkeys(g.vertices, INF)
    dist[0] = 0
    back: Dict[int, int] = {}
    relax = [(u, v, weight[(u, v)]) for u, v in g.arcs]
    for _ in range(len(g.vertices) - 1):
        changed = False
        for u, v, w in relax:
            d = dist[u] + w
            if d < dist[v]:
                dist[v], back[v] = d, u
                changed = True
        if not changed:
            break
    edits, v = [], g.vertices[-1]
    while v in back:
        u = back[v]
        s = g.step[(u, v)]
        if s.kind != "noop":
            edits.append((s.start, s.end, s.original, s.correction))
        v = u
    edits.reverse()
    return edits


def count_correct(edits: Sequence[SystemEdit], golds: Sequence[GoldEdit]) -> int:
    """System edits that equal a gold edit; the gold edits are scanned once, left to
    right, and one system edit counts once for every equal gold edit (as officially)."""
    correct, first = 0, 0
    for start, end, original, correction in edits:
        for i in range(first, len(golds)):
            gold = golds[i]
            if (start, end, original) == gold[:3] and correction in gold.corrections:
                correct += 1
                first = i + 1
    return correct
