"""Punctuation errors: a comma dropped or inserted, the sentence-final mark dropped."""
from __future__ import annotations

from typing import List

from .passes import drop_if, insert_before
from .tokens import SENT_END, Tok


def _remove_comma(toks: List[Tok], i: int) -> List[Tok]:
    if i + 1 < len(toks) and toks[i + 1].glue:
        toks[i + 1].glue = False
    return toks[:i] + toks[i + 1:]


comma_drop = drop_if("comma_drop", lambda toks, i: toks[i].text == "," and i > 0, _remove_comma)
comma_ins = insert_before(
    "comma_ins", lambda toks, i, prev: (i > 0 and prev.is_word and toks[i].is_word
                                        and not toks[i].glue),
    lambda rng: Tok(",", True))
# once per sentence: only its last token is an opportunity
final_period = drop_if(
    "final_period",
    lambda toks, i: i == len(toks) - 1 and len(toks) > 1 and toks[i].text in SENT_END,
    lambda toks, i: toks[:i])
