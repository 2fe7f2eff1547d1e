"""Word-order errors: two adjacent words swapped."""
from __future__ import annotations

from .tokens import Tok, fire


def word_order(rng, toks, rate, ops):
    i = 1   # position 0 keeps its capital letter in place
    while i + 1 < len(toks):
        a, b = toks[i], toks[i + 1]
        if (a.is_word and b.is_word and not a.glue and not b.glue
                and a.low != b.low and fire(rng, rate)):
            toks[i], toks[i + 1] = Tok(b.text, False), Tok(a.text, False)
            ops.append("word_order")
            i += 2
            continue
        i += 1
    return toks
