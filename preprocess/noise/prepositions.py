"""Preposition errors: one dropped, one inserted (``discuss about``), or another in its place."""
from __future__ import annotations

from .lexicon import DETERMINERS, PREP_INSERTS, PREP_SUBS, PREPOSITIONS
from .passes import drop_if, insert_before, pick, substitute
from .tokens import Tok, following

_OBJECT_PRONOUNS = ("him", "her", "them", "me", "us", "it")


def _before_a_word(toks, i) -> bool:
    nxt = following(toks, i)
    return toks[i].low in PREPOSITIONS and nxt is not None and nxt.is_word and not nxt.glue


def _before_an_object(toks, i, prev) -> bool:
    """Before a determiner or object pronoun, after a word that is not a preposition."""
    t = toks[i]
    return (i > 0 and t.is_word and not t.glue and prev is not None and prev.is_word
            and prev.low not in PREPOSITIONS
            and (t.low in DETERMINERS or t.low in _OBJECT_PRONOUNS))


prep_del = drop_if("prep_del", _before_a_word)
prep_sub = substitute("prep_sub", lambda toks, i: toks[i].low in PREP_SUBS,
                      lambda rng, toks, i: pick(rng, PREP_SUBS[toks[i].low]))
prep_ins = insert_before("prep_ins", _before_an_object, lambda rng: Tok(pick(rng, PREP_INSERTS)))
