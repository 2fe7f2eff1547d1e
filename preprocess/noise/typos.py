"""Typing slips: a neighbouring key, two letters swapped, a letter dropped or doubled."""
from __future__ import annotations

import random
from typing import Dict

from .passes import substitute

# Keys touching each key on a US QWERTY keyboard (rows are staggered).
QWERTY_NEIGHBOURS: Dict[str, str] = {
    "q": "wa", "w": "qeas", "e": "wrsd", "r": "etdf", "t": "ryfg", "y": "tugh",
    "u": "yihj", "i": "uojk", "o": "ipkl", "p": "ol",
    "a": "qwsz", "s": "awedxz", "d": "serfcx", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kop",
    "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}


def typo(rng: random.Random, word: str) -> str:
    """One typing slip in ``word``: keyboard neighbour, swap, drop or doubling."""
    n = len(word)
    kind = rng.randrange(4)
    if kind == 0:   # neighbouring key
        idx = [k for k, ch in enumerate(word) if ch.lower() in QWERTY_NEIGHBOURS]
        if idx:
            k = idx[rng.randrange(len(idx))]
            near = QWERTY_NEIGHBOURS[word[k].lower()]
            ch = near[rng.randrange(len(near))]
            ch = ch.upper() if word[k].isupper() else ch
            return word[:k] + ch + word[k + 1:]
        kind = 1
    if kind == 1:   # swap two adjacent letters (not the first one)
        cands = [k for k in range(1, n - 1) if word[k] != word[k + 1]]
        if cands:
            k = cands[rng.randrange(len(cands))]
            return word[:k] + word[k + 1] + word[k] + word[k + 2:]
        kind = 2
    if kind == 2:   # drop a letter (not the first one)
        k = 1 + rng.randrange(n - 1)
        return word[:k] + word[k + 1:]
    k = 1 + rng.randrange(n - 1)   # double a letter
    return word[:k] + word[k] + word[k:]


spelling = substitute("spelling", lambda toks, i: toks[i].is_word and len(toks[i].text) >= 3,
                      lambda rng, toks, i: typo(rng, toks[i].text), keep_case=False)
