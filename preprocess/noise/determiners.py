"""Determiner errors: an article dropped, inserted, or another determiner put in its place."""
from __future__ import annotations

from .lexicon import (DETERMINER_SUBS, DETERMINERS, DROPPABLE_DETERMINERS, FUNCTION_WORDS,
                      VERB_FORMS)
from .passes import drop_if, insert_before, pick, substitute
from .tokens import Tok, following


def _before_a_word(toks, i) -> bool:
    nxt = following(toks, i)
    return nxt is not None and nxt.is_word and not nxt.glue


def _choose(rng, toks, i) -> str:
    t = toks[i]
    new = pick(rng, DETERMINER_SUBS[t.low])
    if t.low in ("a", "an") and rng.random() < 0.5:   # mostly the classic a/an confusion
        new = "an" if t.low == "a" else "a"
    return new


def _article(rng) -> Tok:
    art = pick(rng, ("the", "a", "an")) if rng.random() < 0.3 else pick(rng, ("the", "a"))
    return Tok(art, False)


def _before_content_word(toks, i, prev) -> bool:
    t = toks[i]
    return (i > 0 and t.is_word and t.text.islower() and t.low not in FUNCTION_WORDS
            and not t.glue and prev is not None and prev.low not in DETERMINERS
            and t.low not in VERB_FORMS)


article_del = drop_if(
    "article_del", lambda toks, i: toks[i].low in DROPPABLE_DETERMINERS and _before_a_word(toks, i))
article_sub = substitute(
    "article_sub", lambda toks, i: toks[i].low in DETERMINER_SUBS
    and following(toks, i) is not None and following(toks, i).is_word, _choose)
article_ins = insert_before("article_ins", _before_content_word, _article)
