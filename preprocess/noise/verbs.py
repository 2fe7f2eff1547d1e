"""Verb errors: another form of the verb (``went`` -> ``goed``) and subject-verb agreement."""
from __future__ import annotations

from typing import List, Optional

from .lexicon import (DETERMINERS, MODALS, PRONOUN_3SG, PRONOUN_NON3SG, SVA_SWAPS,
                      VERB_FORM_ERRORS, VERB_FORMS)
from .passes import pick, substitute
from .tokens import Tok

_BE_FORMS = ("is", "are", "am", "was", "were")


def _prev(toks: List[Tok], i: int) -> str:
    return toks[i - 1].low if i else ""


def _has_forms(toks, i) -> bool:
    t, w = toks[i], toks[i].low
    return (w in VERB_FORMS and t.is_word and w not in ("be", "been", "being", "do", "have")
            and _prev(toks, i) not in DETERMINERS)   # "a walk", "the run": probably a noun


def _other_form(rng, toks, i) -> str:
    w = toks[i].low
    forms = set(VERB_FORMS[w]) - {w}
    if w in VERB_FORM_ERRORS and rng.random() < 0.5:
        forms = set(VERB_FORM_ERRORS[w])
    if w in _BE_FORMS:
        forms = {"be", "is", "are", "was", "were", "been"} - {w}
    return pick(rng, sorted(forms))


def agreement_swap(toks: List[Tok], i: int) -> Optional[str]:
    """The form that breaks subject-verb agreement at ``i``, or None where there is none."""
    w, prev = toks[i].low, _prev(toks, i)
    if w in SVA_SWAPS:
        if w in ("do", "have") and prev in MODALS:   # "to have", "did do"
            return None
        return SVA_SWAPS[w]   # ("am" -> "is": "I is")
    if w in VERB_FORMS and w not in ("be", "been", "being"):
        base, third = VERB_FORMS[w][0], VERB_FORMS[w][1]
        if w == third and w != base and prev not in DETERMINERS:
            return base                             # he walks -> he walk
        if (w == base and w != third and i > 0
                and (prev in PRONOUN_NON3SG or prev in PRONOUN_3SG) and prev not in MODALS):
            return third                            # they walk -> they walks
    return None


verb_form = substitute("verb_form", _has_forms, _other_form)
sva = substitute("sva", lambda toks, i: agreement_swap(toks, i) is not None,
                 lambda rng, toks, i: agreement_swap(toks, i))
