"""preprocess.m2: M2 blocks (source + annotated edits) into (erroneous, corrected) pairs."""
import re
import sys

import pytest

from support import M2_TEXT, REPO, assert_one_line_error, run, write

from preprocess.texttools.errors import InputError
from preprocess.m2 import Edit, M2Sentence, m2_pairs, read_m2

# four blocks: two annotators, a deletion and a noop, CoNLL alternatives (goes||went) and
# two deletions, and a sentence without edits


def test_m2_pairs_default_annotator_and_all(tmp_path):
    m2 = write(tmp_path / "small.m2", M2_TEXT)
    assert m2_pairs(m2) == [
        ("This are a sentence .", "This is a good sentence ."),
        ("I like it very much much .", "I like it very much ."),
        ("He go to school in the morning .", "He goes to school morning ."),
        ("Nothing wrong here .", "Nothing wrong here ."),
    ]
    assert [t for _, t in m2_pairs(m2, 1)][:2] == ["This was a sentence .",
                                                   "I like it very much much ."]
    assert len(m2_pairs(m2, "all")) == 2 + 2 + 1 + 1
    sents = read_m2(m2)
    assert sents[0].annotators == [0, 1] and sents[1].edits[1].is_noop


@pytest.mark.parametrize("text, fragment", [
    ("A 0 1|||X|||y|||REQUIRED|||-NONE-|||0\n", "outside a sentence"),
    ("S a b .\nA 1 x|||X|||y|||REQUIRED|||-NONE-|||0\n", "not two integers"),
    ("S a b .\nA 2 9|||X|||y|||REQUIRED|||-NONE-|||0\n", "outside the 3-token"),
    ("S a b .\nA 0 1|||X\n", "at least"),
    ("S a b .\nhello\n", "expected an 'S ' or 'A ' line"),
    ("\n\n", "no 'S' lines"),
])
def test_m2_malformed(tmp_path, text, fragment):
    m2 = write(tmp_path / "bad.m2", text)
    with pytest.raises(InputError, match=re.escape(fragment)):
        read_m2(m2)
    proc = run([sys.executable, "-m", "preprocess.m2", m2, "--src-out", tmp_path / "s",
                "--tgt-out", tmp_path / "t"], cwd=REPO, check=False)
    assert_one_line_error(proc, "bad.m2")


def edit(start, end, correction, annotator=0):
    return Edit(start, end, "X", correction, annotator)


def test_corrected_skips_an_edit_that_overlaps_one_already_applied():
    sentence = M2Sentence("a b c d".split(), [edit(1, 3, "x"), edit(2, 4, "y")])
    assert sentence.corrected() == ["a", "x", "d"]


def test_insertions_at_one_point_keep_their_file_order():
    sentence = M2Sentence("a b".split(), [edit(1, 1, "p"), edit(1, 1, "q r"), edit(0, 1, "A")])
    assert sentence.corrected() == ["A", "p", "q", "r", "b"]


def test_an_annotator_without_edits_keeps_the_source(tmp_path):
    m2 = write(tmp_path / "a.m2", "S a b\nA 0 1|||R|||x|||REQUIRED|||-NONE-|||3\n")
    assert m2_pairs(m2) == [("a b", "a b")]            # annotator 0 made no edit here
    assert m2_pairs(m2, 3) == m2_pairs(m2, "all") == [("a b", "x b")]


def test_windows_line_ends_and_the_first_alternative(tmp_path):
    m2 = write(tmp_path / "crlf.m2", "S a b c\r\nA 0 1|||R|||x||y|||REQUIRED|||-NONE-|||0\r\n")
    assert m2_pairs(m2) == [("a b c", "x b c")]


@pytest.mark.parametrize("data, fragment", [
    (b"S a b\n\nS caf\xe9\n", ":3: not valid UTF-8"),
    ("S a b\nS c d\n", ":2: new 'S' line without a blank line before it"),
    ("S a b\nA 0 1|||R|||x|||REQUIRED|||-NONE-|||z\n", ":2: annotator id 'z' is not an integer"),
])
def test_malformed_files_name_file_and_line(tmp_path, data, fragment):
    m2 = write(tmp_path / "bad.m2", data)
    with pytest.raises(InputError, match=re.escape(m2 + fragment)):
        read_m2(m2)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read M2 file .*none.m2"):
        read_m2(str(tmp_path / "none.m2"))


def test_cli_writes_one_pair_a_line(tmp_path):
    m2 = write(tmp_path / "small.m2", M2_TEXT)
    src, tgt = tmp_path / "s.txt", tmp_path / "t.txt"
    proc = run([sys.executable, "-m", "preprocess.m2", m2, m2, "--annotator", "all",
                "--src-out", src, "--tgt-out", tgt], cwd=REPO)
    assert proc.stderr.strip() == "12 pairs from 2 file(s)"
    pairs = list(zip(src.read_text().splitlines(), tgt.read_text().splitlines()))
    assert pairs == 2 * m2_pairs(m2, "all")


def test_every_alternative_is_kept_for_the_scorer(tmp_path):
    m2 = write(tmp_path / "alt.m2", "S a b c\nA 0 1|||R|||x || y||-NONE-|||REQUIRED|||-NONE-|||0\n"
                                    "A 2 3|||U|||-NONE-|||REQUIRED|||-NONE-|||0\n")
    first, deletion = read_m2(m2)[0].edits
    assert (first.correction, first.alternatives) == ("x", ["x", "y", ""])
    assert (deletion.correction, deletion.alternatives) == ("-NONE-", [""])
    assert first == Edit(0, 1, "R", "x", 0)          # alternatives are not compared
