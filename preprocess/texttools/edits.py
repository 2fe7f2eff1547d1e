"""A correction as edits of the user's own text: character spans of the original input.

    >>> [e[:3] for e in diff_edits("She have two cat .", "She has two cats .")]
    [(4, 4, 'has'), (13, 3, 'cats')]

:func:`diff_edits` compares the words and punctuation marks of the original and of its
correction (``difflib`` over tokens, each token remembering its characters in the text it
came from) and gives one :class:`Edit` a changed stretch: ``offset`` and ``length`` in the
ORIGINAL string, the ``replacement``, the ``original`` text, and a coarse ``type``
(:data:`TYPES`). Whitespace the two texts share is never an edit: a correction that only
re-spaces the text changes nothing, and the user's line breaks and spacing stay.

:func:`split_sentences` cuts a paragraph into sentence spans, and :func:`correct_text`
corrects a paragraph sentence by sentence (any function from sentences to corrections;
:func:`corrected_text` where the caller split it) and maps every edit back to the
paragraph's offsets; :func:`apply_edits` applies edits.
ERRANT's types, where the ``errant`` package and its English model are installed, come
from :func:`errant_types` (optional). Nothing here imports fairseq or torch.
"""
import difflib
import re
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

SPELLING, PUNCTUATION, CASE, WORD_ORDER = "spelling", "punctuation", "case", "word order"
MISSING, UNNECESSARY, REPLACED, MORPHOLOGY = ("missing word", "unnecessary word",
                                              "replaced word", "morphology")
#: the coarse edit types, in the order they are tried
TYPES = (CASE, PUNCTUATION, WORD_ORDER, MORPHOLOGY, SPELLING, MISSING, UNNECESSARY, REPLACED)

_TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]", re.UNICODE)
# a sentence ends at . ! ? (and closing quotes or brackets after them) before white space
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)")
#: words whose full stop ends no sentence (compared without case), and initials (``J.``)
ABBREVIATIONS = {"e.g.", "i.e.", "etc.", "vs.", "cf.", "mr.", "mrs.", "ms.", "dr.", "prof.",
                 "st.", "no.", "approx.", "jr.", "sr.", "fig.", "p.", "pp."}
_LAST_WORD = re.compile(r"(\S+)$")
#: inflection endings: two words that differ only in these are one word's two forms
_ENDINGS = {"", "s", "es", "ed", "d", "ing", "er", "est", "ies", "ied", "y", "ly", "n",
            "en", "'s"}
#: irregular forms of the commonest verbs (one set a lemma)
_IRREGULAR = [{"be", "am", "is", "are", "was", "were", "been", "being"},
              {"have", "has", "had", "having"}, {"do", "does", "did", "done", "doing"},
              {"go", "goes", "went", "gone", "going"}, {"a", "an"}]


class Token(NamedTuple):
    text: str
    start: int
    end: int


class Edit(NamedTuple):
    """Replace ``length`` characters of the original at ``offset`` by ``replacement``."""
    offset: int
    length: int
    replacement: str
    original: str
    type: str


def tokens(text: str) -> List[Token]:
    """The words and punctuation marks of ``text`` with their character spans."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def split_sentences(text: str) -> List[Tuple[int, int]]:
    """(start, end) of each sentence of ``text``, white space between them left out:
    a sentence ends at ``.``, ``!``, ``?`` or ``…`` (closing quotes after them kept)
    followed by white space, unless the word before is an abbreviation
    (:data:`ABBREVIATIONS`) or an initial (``J.``), and at every line break."""
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        cuts = [m.end() + line.start() for m in _SENTENCE_END.finditer(line.group())
                if not _abbreviation(line.group()[:m.end()])]
        for end in cuts + [line.end()]:
            piece = text[start:end]
            if piece.strip():
                left = start + len(piece) - len(piece.lstrip())
                right = start + len(piece.rstrip())
                spans.append((left, right))
            start = end
    return spans


def _abbreviation(before: str) -> bool:
    """Whether the text ``before`` a possible sentence end ends in an abbreviation."""
    word = _LAST_WORD.search(before)
    word = word.group(1).lstrip("(\"'\u201c") if word else ""
    return word.lower() in ABBREVIATIONS or bool(re.fullmatch(r"[A-Z]\.", word))


def _is_punct(words: Sequence[str]) -> bool:
    return bool(words) and all(not re.search(r"\w", w) for w in words)


def _same_word(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    if any(a in forms and b in forms for forms in _IRREGULAR):
        return True
    prefix = len(_common_prefix(a, b))
    return prefix >= 2 and a[prefix:] in _ENDINGS and b[prefix:] in _ENDINGS


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count one)."""
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if (prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2]
                    and a[i - 2] == b[j - 1]):
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def classify(source: Sequence[str], target: Sequence[str]) -> str:
    """The coarse type (:data:`TYPES`) of replacing the tokens ``source`` by ``target``."""
    if not source:
        return PUNCTUATION if _is_punct(target) else MISSING
    if not target:
        return PUNCTUATION if _is_punct(source) else UNNECESSARY
    if [w.lower() for w in source] == [w.lower() for w in target]:
        return CASE
    if _is_punct(source) and _is_punct(target):
        return PUNCTUATION
    if len(source) > 1 and sorted(w.lower() for w in source) == sorted(
            w.lower() for w in target):
        return WORD_ORDER
    if "".join(source).lower() == "".join(target).lower():
        return SPELLING   # split or joined: "alot" -> "a lot"
    if len(source) == 1 and len(target) == 1:
        a, b = source[0], target[0]
        if _same_word(a, b):
            return MORPHOLOGY
        if min(len(a), len(b)) >= 3 and _distance(a.lower(), b.lower()) <= max(
                1, min(len(a), len(b)) // 4):
            return SPELLING
    return REPLACED


def _opcodes(a: List[str], b: List[str]):
    """difflib's opcodes on lower-cased tokens, with two changes a short equal run apart
    merged when together they only reorder words (``I yesterday went`` -> ``I went
    yesterday``), and a replacement of as many tokens as it has split into one a token."""
    lower_a, lower_b = [x.lower() for x in a], [x.lower() for x in b]
    ops = difflib.SequenceMatcher(None, lower_a, lower_b, autojunk=False).get_opcodes()
    merged = []
    i = 0
    while i < len(ops):
        tag, i1, i2, j1, j2 = ops[i]
        if tag != "equal" and i + 2 < len(ops) and ops[i + 1][0] == "equal" \
                and ops[i + 1][2] - ops[i + 1][1] <= 2 and ops[i + 2][0] != "equal":
            _, _, k2, _, l2 = ops[i + 2]
            if sorted(lower_a[i1:k2]) == sorted(lower_b[j1:l2]):
                merged.append(("replace", i1, k2, j1, l2))
                i += 3
                continue
        merged.append(ops[i])
        i += 1
    out = []
    for tag, i1, i2, j1, j2 in merged:
        if tag == "equal":             # equal but for case: one edit a token
            out += [("replace", i, i + 1, j, j + 1) for i, j in
                    zip(range(i1, i2), range(j1, j2)) if a[i] != b[j]]
        elif tag == "replace" and i2 - i1 == j2 - j1 > 1 and \
                sorted(lower_a[i1:i2]) != sorted(lower_b[j1:j2]):
            out += [("replace", i, i + 1, j, j + 1) for i, j in
                    zip(range(i1, i2), range(j1, j2)) if a[i] != b[j]]
        elif tag == "replace" and sorted(lower_a[i1:i2]) != sorted(lower_b[j1:j2]) and \
                _pieces(a, b, i1, i2, j1, j2):
            out += _pieces(a, b, i1, i2, j1, j2)
        else:
            out.append((tag, i1, i2, j1, j2))
    return out


def _pieces(a, b, i1, i2, j1, j2) -> list:
    """A replacement of unequal numbers of tokens as smaller ones, where it is a run of
    words split (``alot`` -> ``a lot``), joined, or each close to its own correction
    (``recieve alot`` -> ``receive a lot``: two edits); [] where it is not."""
    out, i, j = [], i1, j1
    low_a, low_b = [x.lower() for x in a], [x.lower() for x in b]
    while i < i2 and j < j2:
        if j + 1 < j2 and low_a[i] == low_b[j] + low_b[j + 1]:
            step = (i, i + 1, j, j + 2)
        elif i + 1 < i2 and low_a[i] + low_a[i + 1] == low_b[j]:
            step = (i, i + 2, j, j + 1)
        elif i2 - i == j2 - j or classify([a[i]], [b[j]]) != REPLACED:
            step = (i, i + 1, j, j + 1)
        else:
            return []
        if a[step[0]:step[1]] != b[step[2]:step[3]]:
            out.append(("replace",) + step)
        i, j = step[1], step[3]
    return out if i == i2 and j == j2 and len(out) > 0 else []


def diff_edits(original: str, corrected: str) -> List[Edit]:
    """The edits that turn ``original`` into ``corrected``, as spans of ``original``.

    Tokens are compared without case (a change of case is an edit of its own). An inserted
    word is attached to the word before it (or after it, at the start), and a deleted one
    takes the space before it along, so that each edit covers some of the original text
    and applying the edits gives ``corrected`` up to white space."""
    src, cor = tokens(original), tokens(corrected)
    a, b = [t.text for t in src], [t.text for t in cor]
    edits = {}   # the first original token an edit covers -> the edit
    for _, i1, i2, j1, j2 in _opcodes(a, b):
        kind = classify(a[i1:i2], b[j1:j2])
        anchor = i1
        if i1 < i2:                        # replace or delete: the original's tokens
            start, end = src[i1].start, src[i2 - 1].end
            if j1 < j2:
                replacement = corrected[cor[j1].start:cor[j2 - 1].end]
            elif i1 > 0:                    # deleted: the space before it goes too
                start = src[i1 - 1].end
                replacement = ""
            else:
                end = src[i2].start if i2 < len(src) else len(original)
                replacement = ""
        elif not src:                      # nothing to attach to
            start = end = 0
            replacement = corrected[cor[j1].start:cor[j2 - 1].end]
        elif i1 > 0:                       # inserted after the token before it
            anchor = i1 - 1
            start, end = src[anchor].start, src[anchor].end
            replacement = corrected[cor[j1 - 1].start:cor[j2 - 1].end]
        else:                              # inserted at the start: before the first token
            start, end = src[0].start, src[0].end
            replacement = corrected[cor[j1].start:cor[j2].end] if j2 < len(cor) else \
                corrected[cor[j1].start:cor[j2 - 1].end] + " " + src[0].text
        # an insertion attached to a token whose case changed says the new case too
        edits[anchor] = Edit(start, end - start, replacement, original[start:end], kind)
    return [edits[k] for k in sorted(edits)]


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with each edit (non-overlapping, any order) applied."""
    for edit in sorted(edits, key=lambda e: e.offset, reverse=True):
        text = text[:edit.offset] + edit.replacement + text[edit.offset + edit.length:]
    return text


class Corrected(NamedTuple):
    """A paragraph's correction: the corrected text (the original's white space kept),
    the edits as spans of the original, and each sentence's (start, end, correction)."""
    text: str
    edits: List[Edit]
    sentences: List[Tuple[int, int, str]]


def correct_text(text: str, correct: Callable[[List[str]], List[str]]) -> Corrected:
    """Split ``text`` into sentences, correct them all with one call of ``correct``, and
    map every sentence's edits back to offsets of ``text``."""
    spans = split_sentences(text)
    return corrected_text(text, spans, correct([text[s:e] for s, e in spans]) if spans else [])


def corrected_text(text: str, spans: Sequence[Tuple[int, int]],
                   corrections: Sequence[str]) -> Corrected:
    """``text`` with its sentences ``spans`` (:func:`split_sentences`) corrected to
    ``corrections``: every sentence's edits as offsets of ``text``. For a caller that
    split the text itself (to decode the sentences of many texts in one call)."""
    edits = []
    for (start, end), corrected in zip(spans, corrections):
        for edit in diff_edits(text[start:end], corrected):
            edits.append(edit._replace(offset=edit.offset + start))
    return Corrected(apply_edits(text, edits), edits,
                     [(s, e, c) for (s, e), c in zip(spans, corrections)])


def errant_types(original: str, corrected: str, annotator=None) -> Optional[List[tuple]]:
    """ERRANT's edits of a sentence pair, (original start char, end char, correction, type),
    or None where ``errant`` or its spaCy English model is not installed."""
    try:
        if annotator is None:
            annotator = _errant_annotator()
    except (ImportError, OSError):
        return None
    orig, cor = annotator.parse(original), annotator.parse(corrected)
    out = []
    for edit in annotator.annotate(orig, cor):
        start = orig[edit.o_start].idx if edit.o_start < len(orig) else len(original)
        end = (orig[edit.o_end - 1].idx + len(orig[edit.o_end - 1].text)
               if edit.o_end > edit.o_start else start)
        out.append((start, end, edit.c_str, edit.type))
    return out


_ANNOTATOR = []


def _errant_annotator():
    if not _ANNOTATOR:
        import errant

        _ANNOTATOR.append(errant.load("en"))
    return _ANNOTATOR[0]
