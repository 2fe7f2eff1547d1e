"""Seeded carving of evaluation sets out of one pool of pairs (Anki, or a parallel corpus
given without a valid set).

A plain random split leaks: Tatoeba has many sentences with several translations
("Run!" -> "Cours !" / "Courez !"), so a test sentence would usually also be in the
training data with another translation and BLEU would measure memorisation. Pairs are
therefore grouped into connected components of shared sentences (same source *or* same
target text) and whole components are assigned to one split, so no sentence occurs in two
splits, on either side. Because the grouping looks at both sides, en->fr and fr->en get
the same split.

Components are shuffled with ``random.Random(seed)`` and assigned greedily: a component
goes to the first evaluation set it still fits in (in the order given), otherwise to
train. With mostly tiny components the requested sizes are met exactly. Each split keeps
the original file order. Same input + same seed = same split, on every machine.
"""
import random

from preprocess.texttools.errors import InputError


def _components(pairs):
    """Indices of ``pairs`` grouped by shared text on any side (union-find)."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, (_, *sides) in enumerate(pairs):
        root = find(("pair", i))
        for side_no, text in enumerate(sides):
            other = find((side_no, text))
            if other != root:
                parent[other] = root
    groups = {}
    for i in range(len(pairs)):
        groups.setdefault(find(("pair", i)), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def carve(pairs, sizes, seed):
    """Split ``(lineno, *sides)`` pairs into ``{"train": [...], name: [...] for sizes}``.

    ``sizes`` is an ordered mapping ``{"test": 1000, "valid": 1000}`` (filled in that order).
    """
    wanted = sum(sizes.values())
    if wanted >= len(pairs):
        raise InputError(
            f"only {len(pairs)} usable pairs: too few to carve "
            + " + ".join(f"{n} {name}" for name, n in sizes.items())
            + " and keep training data (lower --valid-size/--test-size)")
    components = _components(pairs)
    random.Random(seed).shuffle(components)
    chosen = {name: [] for name in sizes}
    train = []
    for group in components:
        for name, n in sizes.items():
            if len(chosen[name]) + len(group) <= n:
                chosen[name].extend(group)
                break
        else:
            train.extend(group)
    result = {"train": [pairs[i] for i in sorted(train)]}
    for name in sizes:
        result[name] = [pairs[i] for i in sorted(chosen[name])]
    return result
