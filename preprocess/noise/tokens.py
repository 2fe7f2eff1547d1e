"""Tokens of a sentence as the rule passes see them, and the draws they make.

A sentence is split into words and punctuation marks (:class:`Tok`); ``glue`` says that no
space came before a token, so ``"dog."`` and PTB's ``"dog ."`` are both written back as
they came. Every pass decides with :func:`fire`, one draw of the noiser's generator per
opportunity: the same seed and sentences give the same errors.
"""
from __future__ import annotations

import random
import re
from typing import List

from ..text import capitalise

_TOKEN_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
_WORD_RE = re.compile(r"^[A-Za-z]+$")
SENT_END = {".", "!", "?"}


class Tok:
    """One word or punctuation mark; ``glue`` = no space before it in the output."""
    __slots__ = ("text", "glue")

    def __init__(self, text: str, glue: bool = False):
        self.text = text
        self.glue = glue

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return bool(_WORD_RE.match(self.text))


def split(sentence: str) -> List[Tok]:
    toks: List[Tok] = []
    prev_end = 0
    for m in _TOKEN_RE.finditer(sentence):
        toks.append(Tok(m.group(), glue=bool(toks) and m.start() == prev_end))
        prev_end = m.end()
    return toks


def join(toks: List[Tok]) -> str:
    out = []
    for i, t in enumerate(toks):
        if i and not t.glue:
            out.append(" ")
        out.append(t.text)
    return "".join(out)


def match_case(new: str, old: str) -> str:
    """``new`` in the case of ``old``: ALL CAPS, Capitalised or as it is."""
    if old.isupper() and len(old) > 1:
        return new.upper()
    if old[:1].isupper():
        return capitalise(new)
    return new


def fire(rng: random.Random, rate: float) -> bool:
    """One draw: whether an opportunity of probability ``rate`` becomes an error."""
    return rng.random() < rate


def drop(toks: List[Tok], i: int) -> List[Tok]:
    """Remove toks[i], moving sentence-initial capitalisation to the next word."""
    gone = toks[i]
    rest = toks[:i] + toks[i + 1:]
    if i == 0 and rest and gone.text[:1].isupper() and rest[0].is_word:
        rest[0] = Tok(capitalise(rest[0].text), False)
    elif i < len(rest) and not gone.glue and rest[i].glue and rest[i].is_word:
        rest[i] = Tok(rest[i].text, False)   # never glue two words together
    if rest and i == 0:
        rest[0].glue = False
    return rest


def following(toks: List[Tok], i: int):
    """The token after toks[i], or None at the end."""
    return toks[i + 1] if i + 1 < len(toks) else None
