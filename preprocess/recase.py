"""Give a lowercased sentence back the case of the sentence it was made from.

Why: JFLEG's ``test.spellchecked.src`` is lowercased throughout (not one of its 747 lines
has a capital letter), while ``dev.spellchecked.src`` keeps the learner's case (672 of
754 lines have one, as in ``dev.src``).  A model trained and tuned on cased input then
reads test sentences unlike any it saw, and has to guess every capital ("i think",
"bmw", each sentence start).  The learner's own sentence (``test.src``) is an input too,
so its case can be put back on the spellchecked words: the input is then made the way
dev's is.  Only case changes; the spellchecker's words stay.

::

    >>> restore_case("for example , my cousin is 12years old .",
    ...              "Forexample , My cousin is 12years old .")
    'For example , My cousin is 12years old .'
"""
import difflib
import re

from .text import capitalise

_TOKEN = re.compile(r"\S+")


def restore_case(lowered: str, cased: str) -> str:
    """``lowered`` with the case of ``cased`` (the sentence it was made from).

    A line that has a capital letter already is returned unchanged (it kept its case).
    Tokens are aligned on their lowercased text (difflib); an equal token takes the
    cased one's spelling, a replaced span (a spelling correction: "Forexample" ->
    "for example") takes the capital of its first letter, or is all capitals where the
    learner wrote it so; an inserted one stays lower.
    """
    if lowered != lowered.lower():
        return lowered
    low, ref = lowered.split(), cased.split()
    out = list(low)
    matcher = difflib.SequenceMatcher(None, [t.lower() for t in ref], low, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out[j1:j2] = ref[i1:i2]
        elif tag == "replace" and all(t.isupper() and len(t) > 1 for t in ref[i1:i2]):
            out[j1:j2] = [t.upper() for t in out[j1:j2]]    # SHOUTED: "INWALL" -> "IN WALL"
        elif tag == "replace" and ref[i1][:1].isupper():
            out[j1] = capitalise(out[j1])
    # put the tokens back into the line's own spacing
    tokens = iter(out)
    return _TOKEN.sub(lambda _m: next(tokens), lowered)


def recase_rows(rows):
    """``(lineno, input, ..., original)`` rows with the input recased from the original."""
    return [(r[0], restore_case(r[1], r[-1]), *r[2:]) for r in rows]
