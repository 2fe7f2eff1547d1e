"""The three mechanisms the rule passes share: drop a token, substitute one, insert one.

Each builds a pass, ``pass_(rng, toks, rate, ops) -> toks``: it walks the tokens left to
right, asks its condition at each position, draws once (:func:`~.tokens.fire`) where the
condition holds, and on a hit makes its edit and appends its name to ``ops``. The family
modules (determiners, prepositions, punctuation, ...) only say *where* and *what*:

* :func:`drop_if` ``(cond)``: ``cond(toks, i)`` -> the token at ``i`` may be removed;
* :func:`substitute` ``(cond, choose)``: ``choose(rng, toks, i)`` -> the replacement text
  of ``toks[i]`` (put in its case) or None;
* :func:`insert_before` ``(cond, make)``: ``cond(toks, i, prev)`` with ``prev`` the token
  written just before ``toks[i]``; ``make(rng)`` -> the :class:`~.tokens.Tok` to insert.
"""
from __future__ import annotations

import random
from typing import Callable, List, Optional

from .tokens import Tok, drop, fire, match_case

Pass = Callable[[random.Random, List[Tok], float, List[str]], List[Tok]]


def drop_if(name: str, cond: Callable[[List[Tok], int], bool],
            remove: Callable[[List[Tok], int], List[Tok]] = drop) -> Pass:
    """A pass removing tokens where ``cond`` holds (``remove`` does the removal)."""
    def pass_(rng, toks, rate, ops):
        i = 0
        while i < len(toks):
            if cond(toks, i) and fire(rng, rate):
                toks = remove(toks, i)
                ops.append(name)
                continue   # the next token is at i now
            i += 1
        return toks
    return pass_


def substitute(name: str, cond: Callable[[List[Tok], int], bool],
               choose: Callable[[random.Random, List[Tok], int], Optional[str]],
               keep_case: bool = True) -> Pass:
    """A pass replacing a token's text where ``cond`` holds by ``choose``'s pick."""
    def pass_(rng, toks, rate, ops):
        for i, t in enumerate(toks):
            if not (cond(toks, i) and fire(rng, rate)):
                continue
            new = choose(rng, toks, i)
            if new is None or new == t.text:
                continue
            toks[i] = Tok(match_case(new, t.text) if keep_case else new, t.glue)
            ops.append(name)
        return toks
    return pass_


def insert_before(name: str, cond: Callable[[List[Tok], int, Optional[Tok]], bool],
                  make: Callable[[random.Random], Tok]) -> Pass:
    """A pass inserting ``make``'s token before positions where ``cond`` holds."""
    def pass_(rng, toks, rate, ops):
        out: List[Tok] = []
        for i, t in enumerate(toks):
            prev = out[-1] if out else None
            if cond(toks, i, prev) and fire(rng, rate):
                out.append(make(rng))
                ops.append(name)
            out.append(t)
        return out
    return pass_


def pick(rng: random.Random, choices) -> str:
    """One of ``choices``, uniformly (one draw)."""
    return choices[rng.randrange(len(choices))]
