"""Noun-number errors: singular for plural and back (``dog``/``dogs``, ``man``/``men``)."""
from __future__ import annotations

from typing import List, Optional

from .lexicon import (DETERMINERS, FUNCTION_WORDS, IRREGULAR_NOUNS, IRREGULAR_PLURALS,
                      PLURAL_DETERMINERS, VERB_FORMS)
from .tokens import Tok, fire, match_case


def pluralise(w: str) -> str:
    if w in IRREGULAR_NOUNS:
        return IRREGULAR_NOUNS[w]
    if w.endswith(("s", "x", "z", "ch", "sh")):
        return w + "es"
    if w.endswith("y") and w[-2:-1] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


def singularise(w: str) -> Optional[str]:
    if w in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[w]
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "sses", "zes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return None


def noun_positions(toks: List[Tok]) -> List[int]:
    """Heads of determiner phrases: the last plain word of 1-3 words after a det."""
    found = []
    for i, t in enumerate(toks):
        if t.low not in DETERMINERS:
            continue
        j, last = i + 1, None
        while j < len(toks) and j <= i + 3:
            w = toks[j]
            if not w.is_word or w.glue or w.low in FUNCTION_WORDS or not w.text.islower():
                break
            if w.low in VERB_FORMS and w.low.endswith(("ing", "ed")) and last is not None:
                break
            last = j
            j += 1
        if last is not None and (not found or found[-1] != last):
            found.append(last)
    return found


def _other_number(toks: List[Tok], i: int) -> str:
    w = toks[i].low
    plural_ctx = i > 0 and any(toks[k].low in PLURAL_DETERMINERS for k in range(max(0, i - 3), i))
    sing = singularise(w)
    if w in IRREGULAR_NOUNS and w not in IRREGULAR_PLURALS:
        new = IRREGULAR_NOUNS[w]
    elif sing is not None and (plural_ctx or not w.endswith("ss")):
        new = sing
    else:
        new = pluralise(w)
    if new == w:
        new = pluralise(w) if not w.endswith("s") else w[:-1]
    return new


def noun_number(rng, toks, rate, ops):
    for i in noun_positions(toks):
        if not fire(rng, rate):
            continue
        t = toks[i]
        new = _other_number(toks, i)
        if new and new != t.low:
            toks[i] = Tok(match_case(new, t.text), t.glue)
            ops.append("noun_number")
    return toks
