"""Case errors: a capital letter lost (rarely one added), or a whole line in lowercase."""
from __future__ import annotations

from ..text import capitalise
from .tokens import Tok, fire


def casing(rng, toks, rate, ops):
    for i, t in enumerate(toks):
        if not t.is_word:
            continue
        if t.text[:1].isupper():
            if fire(rng, rate):
                toks[i] = Tok(t.text.lower(), t.glue)
                ops.append("casing")
        elif i > 0 and t.text.islower() and fire(rng, rate * 0.1):
            toks[i] = Tok(capitalise(t.text), t.glue)
            ops.append("casing")
    return toks


def lowercase_line(rng, toks, rate, ops):
    if any(t.text != t.text.lower() for t in toks) and fire(rng, rate):
        ops.append("lowercase_line")
        return [Tok(t.text.lower(), t.glue) for t in toks]
    return toks
