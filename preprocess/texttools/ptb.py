"""Penn-Treebank-style word tokenisation, the way JFLEG, CoNLL-2014 and BEA M2 text is written.

GEC references are tokenised (``I do n't know , he said .``) and GLEU compares
whitespace-separated tokens, so the text a GEC model learns from — including synthetic
pairs made from raw Multi30k/Anki sentences — is tokenised the same way, and a
correction shell tokenises raw input the same way before correcting it.

* :func:`tokenize` splits punctuation (``, . ; : ? ! ( ) [ ] { } "``), contractions
  (``n't 's 're 've 'm 'll 'd``) and possessive ``s'``; keeps hyphenated words, numbers
  (``3.5``, ``1,000``), ``...``/``--`` and abbreviations (``Mr.``, ``U.S.``) together.
  Double quotes become PTB's opening ````` and closing ``''`` (alternating), as in the
  JFLEG references. It is idempotent: tokenised text comes back unchanged.
* :func:`detokenize` undoes it for display (``I don't know, he said.``).

Deliberately dependency-free (no NLTK/sacremoses download); see the tests for examples.
"""
from __future__ import annotations

import re

__all__ = ["tokenize", "detokenize"]

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "no",
    "co", "inc", "ltd", "mt", "ave", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "a.m", "p.m", "u.s", "u.k", "approx", "dept", "fig",
}
_CONTRACTIONS = ("n't", "'s", "'re", "'ve", "'m", "'ll", "'d")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'",
                         "\u2019": "'", "\u00b4": "'"})
_LONE_BACKTICK = re.compile(r"(?<!`)`(?!`)")   # it`s -> it's (a typed apostrophe)
# punctuation that always stands alone (``PTB quotes'' included)
_ALWAYS = re.compile(r"([?!;\"()\[\]{}]|``|''|\.\.\.+|--+)")
# a colon or comma not between digits (10:30, 1,000 stay)
_COLON_COMMA = re.compile(r"(?<!\d)([:,])|([:,])(?!\d)")


def _split_word(tok: str) -> list:
    """Split clitics and a trailing period off one whitespace-free chunk."""
    if tok in _CONTRACTIONS or tok in {"'", ".", "n't", "``", "''"} or not tok:
        return [tok] if tok else []
    out_tail = []
    # trailing period (not "...", not abbreviations like Mr. / U.S. / e.g.)
    if tok.endswith(".") and len(tok) > 1 and not tok.endswith(".."):
        stem = tok[:-1]
        if not (stem.lower() in _ABBREVIATIONS or re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", stem)
                and "." in stem):
            out_tail.insert(0, ".")
            tok = stem
    # leading quote/apostrophe used as a quotation mark: 'hello
    head = []
    if tok.startswith("'") and len(tok) > 1 and tok.lower() not in _CONTRACTIONS \
            and not re.fullmatch(r"'(?:s|re|ve|m|ll|d)", tok.lower()):
        head = ["'"]
        tok = tok[1:]
    low = tok.lower()
    if low.endswith("n't") and len(tok) > 3:
        return head + [tok[:-3], tok[-3:]] + out_tail
    for c in ("'s", "'re", "'ve", "'m", "'ll", "'d"):
        if low.endswith(c) and len(tok) > len(c):
            return head + [tok[:-len(c)], tok[-len(c):]] + out_tail
    if tok.endswith("'") and len(tok) > 1:   # parents' / closing single quote
        return head + [tok[:-1], "'"] + out_tail
    return head + [tok] + out_tail


def tokenize(text: str) -> str:
    """PTB-style tokenisation of one sentence; idempotent on already tokenised text."""
    text = _LONE_BACKTICK.sub("'", text.translate(_QUOTES))
    text = _ALWAYS.sub(r" \1 ", text)
    text = _COLON_COMMA.sub(lambda m: f" {m.group(1) or m.group(2)} ", text)
    out = []
    for chunk in text.split():
        out.extend(_split_word(chunk))
    # a final period glued to an abbreviation at the very end is a sentence end too
    if out and out[-1] != "." and out[-1].endswith(".") and len(out[-1]) > 1 \
            and not out[-1].endswith(".."):
        out[-1:] = [out[-1][:-1], "."]
    return " ".join(_ptb_quotes(out))


def _ptb_quotes(toks):
    """``"`` -> ````` / ``''`` by turns (an explicit ````` or ``''`` sets the turn)."""
    out, opening = [], True
    for t in toks:
        if t == '"':
            t = "``" if opening else "''"
        if t in ("``", "''"):
            opening = t == "''"
        out.append(t)
    return out


_NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "}", "%", "...", "n't",
                    "'s", "'re", "'ve", "'m", "'ll", "'d", "'S", "'RE", "'VE", "'M", "'LL",
                    "'D", "N'T"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#", "``"}
_DOUBLE_QUOTES = ('"', "``", "''")


def detokenize(text: str) -> str:
    """Inverse of :func:`tokenize` for display: glue punctuation and clitics back."""
    toks = text.split()
    out = ""
    open_double = False   # inside a quotation; the token right after its opening glues on
    for i, t in enumerate(toks):
        if t in _DOUBLE_QUOTES:   # shown as '"', opening ones spaced before, closing after
            opening = t == "``" or (t == '"' and not open_double)
            out += ((" " if out else "") + '"') if opening else '"'
            open_double = opening
            continue
        just_opened = open_double and i > 0 and toks[i - 1] in _DOUBLE_QUOTES
        glue = (not out or t in _NO_SPACE_BEFORE or t.lower() in _NO_SPACE_BEFORE
                or out.endswith(tuple(_NO_SPACE_AFTER)) or just_opened)
        if t == "'" and out and out[-1:].lower() == "s":
            glue = True
        out += t if glue else " " + t
    return out

