"""preprocess.texttools.edits: a correction as typed edits of the original's characters,
sentence splitting, paragraphs corrected and mapped back (no model: the corrections are
written here)."""
import pytest

from preprocess.texttools import edits as E

# (original, correction, [(original text, replacement, type), ...])
TYPED = [
    ("She have two cat .", "She has two cats .",
     [("have", "has", E.MORPHOLOGY), ("cat", "cats", E.MORPHOLOGY)]),
    ("He go to school in morning", "He goes to school in the morning.",
     [("go", "goes", E.MORPHOLOGY), ("in", "in the", E.MISSING),
      ("morning", "morning.", E.PUNCTUATION)]),
    ("i like it very much much.", "I like it very much.",
     [("i", "I", E.CASE), (" much", "", E.UNNECESSARY)]),
    ("I yesterday went home.", "I went yesterday home.",
     [("yesterday went", "went yesterday", E.WORD_ORDER)]),
    ("Teh cat sat , on the mat", "The cat sat on the mat.",
     [("Teh", "The", E.SPELLING), (" ,", "", E.PUNCTUATION), ("mat", "mat.", E.PUNCTUATION)]),
    ("I definately recieve it", "I definitely receive it",
     [("definately", "definitely", E.SPELLING), ("recieve", "receive", E.SPELLING)]),
    ("We eat a dog today.", "We eat a cat today.", [("dog", "cat", E.REPLACED)]),
    ("I recieve alot of mail", "I receive a lot of mail",
     [("recieve", "receive", E.SPELLING), ("alot", "a lot", E.SPELLING)]),
    ("It is every where", "It is everywhere", [("every where", "everywhere", E.SPELLING)]),
    ("We saw a bird fly", "We saw birds flying", [("a bird fly", "birds flying", E.REPLACED)]),
    ("cat sleeps", "The cat sleeps", [("cat", "The cat", E.MISSING)]),
    ("hello world", "Hello, world!",
     [("hello", "Hello,", E.PUNCTUATION), ("world", "world!", E.PUNCTUATION)]),
    ("I has a apple", "I have an apple",
     [("has", "have", E.MORPHOLOGY), ("a", "an", E.MORPHOLOGY)]),
    ("Nothing wrong here.", "Nothing wrong here.", []),
]


@pytest.mark.parametrize("original,corrected,expected", TYPED,
                         ids=[t[0][:20] for t in TYPED])
def test_edits_are_typed_spans_of_the_original(original, corrected, expected):
    edits = E.diff_edits(original, corrected)
    assert [(e.original, e.replacement, e.type) for e in edits] == expected
    for e in edits:
        assert original[e.offset:e.offset + e.length] == e.original and e.length > 0
    assert E.apply_edits(original, edits) == corrected


def test_white_space_of_the_original_is_kept_and_is_never_an_edit():
    original = "She  have\ttwo cats ."
    assert E.diff_edits("a  b", "a b") == []
    assert E.apply_edits(original, E.diff_edits(original, "She has two cats .")) == \
        "She  has\ttwo cats ."


def test_sentences_are_split_at_end_marks_and_line_breaks():
    text = 'Hello there. "How are you?" she asked.\n\nI am  fine!  Thanks'
    spans = E.split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Hello there.", '"How are you?"', "she asked.", "I am  fine!", "Thanks"]
    assert E.split_sentences("  \n ") == []
    text = "See e.g. this, Dr. Smith and J. R. Tolkien. Then stop."
    assert [text[s:e] for s, e in E.split_sentences(text)] == [
        "See e.g. this, Dr. Smith and J. R. Tolkien.", "Then stop."]


def test_a_paragraph_is_corrected_sentence_by_sentence_and_mapped_back():
    text = "she have a cat.  He go home.\n\nok"
    fixes = {"she have a cat.": "She has a cat.", "He go home.": "He goes home.", "ok": "OK"}
    calls = []

    def correct(sentences):
        calls.append(sentences)
        return [fixes[s] for s in sentences]

    out = E.correct_text(text, correct)
    assert calls == [list(fixes)]   # one call for every sentence
    assert out.text == "She has a cat.  He goes home.\n\nOK"
    assert [(e.offset, text[e.offset:e.offset + e.length], e.replacement, e.type)
            for e in out.edits] == [(0, "she", "She", E.CASE), (4, "have", "has", E.MORPHOLOGY),
                                    (20, "go", "goes", E.MORPHOLOGY), (30, "ok", "OK", E.CASE)]
    assert [s[:2] for s in out.sentences] == [(0, 15), (17, 28), (30, 32)]
    assert E.correct_text("", correct).edits == [] and E.correct_text(" \n", correct).text == " \n"


def test_errant_types_where_errant_is_installed():
    pytest.importorskip("errant", reason="errant not installed: ERRANT's types not checked")
    try:
        out = E.errant_types("She have two cat .", "She has two cats .")
    except Exception as error:   # errant without its spaCy model
        pytest.skip(f"errant's English model not loadable: {error}")
    if out is None:
        pytest.skip("errant's English model not installed")
    assert [(s, e, c) for s, e, c, _ in out] == [(4, 8, "has"), (13, 16, "cats")]
    assert out[0][3].startswith("R:VERB")
