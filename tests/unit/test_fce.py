"""preprocess.fce: FCE v2.1 JSON essays (character-offset edits) into M2 sentences and pairs."""
import json
import sys

import pytest

from support import REPO, assert_one_line_error, run, write

from preprocess.texttools.errors import InputError
from preprocess.fce import FceCounts, fce_pairs, read_fce, sentence_spans
from preprocess.m2 import read_m2, write_m2


def essay(text, edits, annotator=0, **extra):
    return json.dumps({"id": "T1", "text": text, "edits": [[annotator, edits]], **extra})


def span(text, part, nth=0):
    """[start, end) of the nth occurrence of ``part`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return start, start + len(part)


# one essay written as FCE writes them: a paragraph break, a nested edit (a detection-only
# frame around two corrections), an edit inside a word, an insertion after a word, a
# deletion, quotes, and an uncorrected detection-only span
TEXT = ('Dear Sir,\n\nI saws the show "Over the Rainbow". It were great and '
        'I enjoy it very much much. The actors was bad at all.')


def fce_edits():
    t = TEXT
    s = []
    a, b = span(t, "saws")
    s.append([a + 3, b, "", "IV"])                     # 's' -> '' inside 'saws'
    a, b = span(t, "It were great and I enjoy")
    s.append([a, b, None, "R"])                        # frame: detection only ...
    a, b = span(t, "were")
    s.append([a, b, "was", "AGV"])                     # ... around two corrections
    a, b = span(t, "enjoy")
    s.append([b, b, "ed", "TV"])                       # insertion glued to a word
    a, b = span(t, " much", 1)
    s.append([a, b, "", "UA"])                         # deletion (with its space)
    a, b = span(t, "bad at all")
    s.append([a, b, None, "R"])                        # detection only: nobody corrected
    return s


def test_fce_essay_sentences_edits_and_counts(tmp_path):
    path = write(tmp_path / "fce.json", essay(TEXT, fce_edits()) + "\n")
    counts = FceCounts()
    sents = read_fce(path, counts=counts)
    assert [" ".join(s.source) for s in sents] == [
        "Dear Sir ,",
        "I saws the show `` Over the Rainbow '' .",
        "It were great and I enjoy it very much much .",
    ]   # the third sentence's span was marked wrong and never corrected: skipped
    assert [" ".join(s.corrected()) for s in sents] == [
        "Dear Sir ,",
        "I saw the show `` Over the Rainbow '' .",
        "It was great and I enjoyed it very much .",
    ]
    # the edit inside 'saws' is a whole-token edit; the deletion is one token
    assert [(e.start, e.end, e.correction) for e in sents[1].edits] == [(1, 2, "saw")]
    assert [(e.start, e.end, e.correction) for e in sents[2].edits] == [
        (1, 2, "was"), (5, 6, "enjoyed"), (9, 10, "-NONE-")]
    assert (counts.essays, counts.sentences, counts.edits) == (1, 3, 4)
    assert (counts.detection_with_corrections, counts.detection_only,
            counts.sentences_skipped) == (1, 1, 1)
    assert fce_pairs(path)[2] == ("It were great and I enjoy it very much much .",
                                  "It was great and I enjoyed it very much .")


def test_fce_m2_round_trip(tmp_path):
    path = write(tmp_path / "fce.json", essay(TEXT, fce_edits()) + "\n")
    sents = read_fce(path)
    write_m2(sents, tmp_path / "fce.m2")
    again = read_m2(str(tmp_path / "fce.m2"))
    assert [s.corrected() for s in again] == [s.corrected() for s in sents]
    assert again[0].edits[0].is_noop   # a sentence without error keeps its block


def test_nested_and_overlapping_corrections_are_counted_not_applied(tmp_path):
    text = "He go to the school yesterday ."
    a, b = span(text, "go to the school")
    c, d = span(text, "the school")
    e, f = span(text, "school yesterday")
    path = write(tmp_path / "fce.json", essay(text, [
        [a, b, "went to school", "R"],       # outer correction
        [c, d, "school", "UD"],              # inside it: ignored
        [e, f, "school", "X"],               # overlaps it partly: ignored
    ]) + "\n")
    counts = FceCounts()
    assert fce_pairs(path, counts=counts) == [("He go to the school yesterday .",
                                               "He went to school yesterday .")]
    assert (counts.nested_in_correction, counts.overlapping) == (1, 1)


def test_an_edit_across_a_sentence_end_joins_the_sentences(tmp_path):
    text = "I like it. And you? Yes."
    a, b = span(text, "it. And")
    path = write(tmp_path / "fce.json", essay(text, [[a, b, "it, and", "P"]]) + "\n")
    counts = FceCounts()
    assert fce_pairs(path, counts=counts) == [("I like it . And you ?", "I like it , and you ?"),
                                              ("Yes .", "Yes .")]
    assert counts.sentences_joined == 1


def test_annotators_default_first_and_all(tmp_path):
    text = "She go home ."
    a, b = span(text, "go")
    record = {"text": text, "edits": [[3, [[a, b, "goes", "AGV"]]], [5, [[a, b, "went", "TV"]]]]}
    path = write(tmp_path / "fce.json", json.dumps(record) + "\n")
    assert fce_pairs(path) == [(text, "She goes home .")]
    assert fce_pairs(path, 5) == [(text, "She went home .")]
    assert [t for _, t in fce_pairs(path, "all")] == ["She goes home .", "She went home ."]


def test_sentence_spans_keep_abbreviations_and_lowercase_continuations():
    text = "Mr. Smith came. he was late! Then e.g. this one.\nNew line"
    parts = [text[a:b].strip() for a, b in sentence_spans(text)]
    assert parts == ["Mr. Smith came. he was late!", "Then e.g. this one.", "New line"]


@pytest.mark.parametrize("line, fragment", [
    ("{not json", "not a JSON record"),
    (json.dumps({"edits": []}), "no 'text'"),
    (json.dumps({"text": "abc", "edits": [[0, [[2, 9, "x", "R"]]]]}), "outside the 3-character"),
    (json.dumps({"text": "abc", "edits": [[0, [[0, 1]]]]}), "is not [start, end"),
    (json.dumps({"text": "abc", "edits": {"0": []}}), "'edits' is not a list"),
    (json.dumps({"text": "abc", "edits": [["a", []]]}), "annotator id"),
])
def test_bad_records_are_one_line_naming_file_and_line(tmp_path, line, fragment):
    path = write(tmp_path / "bad.json", essay("Fine .", []) + "\n" + line + "\n")
    with pytest.raises(InputError, match="bad.json:2"):
        read_fce(path)
    proc = run([sys.executable, "-m", "preprocess.fce", path, "--src-out", tmp_path / "s",
                "--tgt-out", tmp_path / "t"], cwd=REPO, check=False)
    assert_one_line_error(proc, "bad.json:2", fragment)


def test_cli_writes_pairs_m2_and_reports_counts(tmp_path):
    path = write(tmp_path / "fce.json", essay(TEXT, fce_edits()) + "\n")
    proc = run([sys.executable, "-m", "preprocess.fce", path, "--src-out", tmp_path / "s",
                "--tgt-out", tmp_path / "t", "--m2-out", tmp_path / "m2"], cwd=REPO)
    assert "3 sentences from 1 essays" in proc.stderr and "sentences skipped 1" in proc.stderr
    assert (tmp_path / "t").read_text().splitlines()[1] == "I saw the show `` Over the Rainbow '' ."
    assert len(read_m2(str(tmp_path / "m2"))) == 3


def test_quotes_alternate_over_the_whole_sentence_not_per_piece(tmp_path):
    # the edit cuts the sentence into pieces tokenised apart; the closing quote is in the
    # last one and must still close
    text = 'He said "I goes home" to me.'
    a, b = span(text, "goes")
    path = write(tmp_path / "fce.json", essay(text, [[a, b, "go", "AGV"]]) + "\n")
    assert fce_pairs(path) == [("He said `` I goes home '' to me .",
                                "He said `` I go home '' to me .")]
