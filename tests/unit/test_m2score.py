"""preprocess.m2score: MaxMatch (M2) as M2Scorer 3.2 computes it, on hand-worked sentences.

Every expected count here was worked out by hand from the algorithm and checked against
the official M2Scorer 3.2 (run through a Python 3 port outside the project).
"""
import sys
import time

import pytest

from support import REPO, assert_one_line_error, run, write

from preprocess.m2 import read_m2
from preprocess.m2score import (MAX_GRAPH_ARCS, GoldEdit, fallback_edits, gold_edits,
                                read_hypothesis_lines, score_corpus, sentence_edits)


def score(tmp_path, m2_text, *hyps, **kwargs):
    return score_corpus(read_m2(write(tmp_path / "gold.m2", m2_text)), list(hyps), **kwargs)


def counts(s):
    return s.correct, s.proposed, s.gold


def a_line(start, end, correction, annotator=0, etype="X"):
    return f"A {start} {end}|||{etype}|||{correction}|||REQUIRED|||-NONE-|||{annotator}\n"


SVA = "S This are a sentence .\n" + a_line(1, 2, "is")


def test_an_edit_equal_to_the_gold_edit_is_correct(tmp_path):
    s = score(tmp_path, SVA, "This is a sentence .")
    assert counts(s) == (1, 1, 1) and (s.precision, s.recall, s.f) == (1.0, 1.0, 1.0)


def test_an_edit_doing_part_of_a_gold_edit_is_not_correct(tmp_path):
    # gold: "has go" -> "have gone" as one edit, and "yesterday" deleted; the system does
    # only "go" -> "gone" (no edit or merge of edits equals the gold one) and the deletion:
    # 1 of its 2 edits is correct, 1 of the 2 gold edits is found
    m2 = ("S He has go home yesterday .\n" + a_line(1, 3, "have gone")
          + a_line(4, 5, "-NONE-"))
    s = score(tmp_path, m2, "He has gone home .")
    assert counts(s) == (1, 2, 2)
    assert (s.precision, s.recall) == (0.5, 0.5) and s.f == pytest.approx(0.5)
    # the whole gold edit, merged from two changes around nothing unchanged: correct
    assert counts(score(tmp_path, m2, "He have gone home .")) == (2, 2, 2)


def test_edits_merge_across_an_unchanged_word_to_match_a_gold_edit(tmp_path):
    # "go to the" -> "went to": a substitution and a deletion with "to" unchanged between;
    # only their merge over the unchanged word equals the gold edit
    m2 = "S she go to the school .\n" + a_line(1, 4, "went to")
    assert counts(score(tmp_path, m2, "she went to school .")) == (1, 1, 1)
    golds = gold_edits(read_m2(write(tmp_path / "g.m2", m2))[0])
    edits, _ = sentence_edits("she go to the school .".split(), "she went to school .".split(),
                              golds)
    assert edits == {0: [(1, 4, "go to the", "went to")]}
    # merging stops at max_unchanged_words: "go to the" -> "went to" needs one
    edits, _ = sentence_edits("she go to the school .".split(), "she went to school .".split(),
                              golds, max_unchanged_words=0)
    assert edits == {0: [(1, 2, "go", "went"), (3, 4, "the", "")]}
    s = score(tmp_path, m2, "she went to school .", max_unchanged_words=0)
    assert counts(s) == (0, 2, 1)


def test_a_noop_sentence_has_no_gold_edit_and_p_is_1_when_nothing_is_proposed(tmp_path):
    m2 = "S Nothing wrong here .\nA -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0\n"
    s = score(tmp_path, m2, "Nothing wrong here .")
    assert counts(s) == (0, 0, 0) and (s.precision, s.recall, s.f) == (1.0, 1.0, 1.0)
    s = score(tmp_path, m2, "Nothing wrong there .")
    assert counts(s) == (0, 1, 0) and (s.precision, s.recall, s.f) == (0.0, 1.0, 0.0)


def test_the_empty_proposal_convention(tmp_path):
    # the source copied: nothing proposed, so P = 1 (officially), R = 0, F = 0
    s = score(tmp_path, SVA, "This are a sentence .")
    assert counts(s) == (0, 0, 1) and (s.precision, s.recall, s.f) == (1.0, 0.0, 0.0)


TWO_ANNOTATORS = ("S The dog bark .\n" + a_line(1, 2, "dogs", 0) + a_line(2, 3, "barks", 1)
                  + "\nS I has a cats .\n" + a_line(1, 2, "have", 0) + a_line(3, 4, "cat", 0)
                  + a_line(3, 4, "cat", 1) + "\n")


def test_each_sentence_takes_the_annotator_with_the_best_f(tmp_path):
    # sentence 1 follows annotator 1; sentence 2 fixes only "cats", which is all that
    # annotator 1 asked for there
    s = score(tmp_path, TWO_ANNOTATORS, "The dog barks .", "I has a cat .")
    assert s.chosen == [1, 1] and counts(s) == (2, 2, 2)
    s = score(tmp_path, TWO_ANNOTATORS, "The dogs bark .", "I have a cat .")
    assert s.chosen == [0, 0] and counts(s) == (3, 3, 3)


def test_ties_go_to_fewer_gold_edits_then_to_the_lower_annotator(tmp_path):
    # nothing changed: F = 0 for both annotators, as many correct (0): the one with fewer
    # gold edits (proposed + beta^2 gold smaller) wins; equal on all counts: annotator 0
    m2 = ("S a b c .\n" + a_line(0, 1, "A", 0) + a_line(1, 2, "B", 0) + a_line(2, 3, "C", 1)
          + "\nS d e .\n" + a_line(0, 1, "D", 0) + a_line(1, 2, "E", 1))
    s = score(tmp_path, m2, "a b c .", "d e .")
    assert s.chosen == [1, 0] and counts(s) == (0, 0, 2)


def test_an_annotator_without_a_line_in_a_block_does_not_compete(tmp_path):
    # annotator 1 has lines in block 1 only; a block without any line is annotator 0's
    m2 = (TWO_ANNOTATORS + "S Fine .\n\nS a b\n" + a_line(0, 1, "A", 0))
    golds = [gold_edits(s) for s in read_m2(write(tmp_path / "g.m2", m2))]
    assert [sorted(g) for g in golds] == [[0, 1], [0, 1], [0], [0]]
    assert golds[2] == {0: []}
    assert golds[3] == {0: [GoldEdit(0, 1, "a", ("A",))]}


def test_every_alternative_of_a_gold_correction_counts(tmp_path):
    m2 = ("S He go to school .\n" + a_line(1, 2, "goes||went") + a_line(3, 4, "-NONE-||a school")
          + "\n")
    assert counts(score(tmp_path, m2, "He went to .")) == (2, 2, 2)
    assert counts(score(tmp_path, m2, "He goes to a school .")) == (2, 2, 2)
    assert counts(score(tmp_path, m2, "He goes to the school .")) == (1, 2, 2)
    assert read_m2(write(tmp_path / "g.m2", m2))[0].edits[1].alternatives == ["", "a school"]


def test_matching_is_case_and_whitespace_sensitive_unless_asked(tmp_path):
    m2 = "S the cat .\n" + a_line(0, 1, "The") + a_line(1, 2, "dog")
    assert counts(score(tmp_path, m2, "THE dog .")) == (1, 2, 2)
    # with the official option, edits that only change case or spacing are not counted
    assert counts(score(tmp_path, m2, "THE dog .", ignore_whitespace_casing=True)) == (1, 1, 2)


def test_insertions_at_one_point_match_one_gold_insertion_once(tmp_path):
    # two system insertions of "the" before "b" against one gold insertion: 1 correct
    m2 = "S a b\n" + a_line(1, 1, "the")
    assert counts(score(tmp_path, m2, "a the the b")) == (1, 2, 1)


def test_3_2_places_a_second_insertion_before_the_first_token_at_its_hypothesis_position(
        tmp_path):
    # M2Scorer 3.2's first lattice row: inserting "x y" before "b c" becomes the edit
    # "b" -> "x y b" (span 0-1), so the gold insertion at 0 is not matched, as in 3.2
    m2 = "S b c\n" + a_line(0, 0, "x y")
    assert counts(score(tmp_path, m2, "x y b c")) == (0, 1, 1)
    assert counts(score(tmp_path, m2, "x b c")) == (0, 1, 1)          # a wrong insertion
    assert counts(score(tmp_path, "S b c\n" + a_line(0, 0, "x"), "x b c")) == (1, 1, 1)


def test_a_repetitive_hypothesis_hits_the_guard_quickly(tmp_path):
    m2 = "S the cat sat on the mat .\n" + a_line(1, 2, "dog") + a_line(3, 4, "at", 1)
    start = time.process_time()
    s = score(tmp_path, m2, " ".join(["the"] * 200))
    assert time.process_time() - start < 1.0
    assert s.guarded == 1 and s.correct == 0 and s.proposed >= 1
    # the same sentence under the bound is scored exactly (and not counted)
    assert score(tmp_path, m2, "the dog sat on the mat .").guarded == 0
    assert MAX_GRAPH_ARCS == 50_000                      # the bound the docstring states


def test_the_fallback_still_finds_the_gold_edits(tmp_path):
    # a tiny bound forces the fallback: the lattice without merged arcs, plus gold arcs
    m2 = "S a b c d e\n" + a_line(1, 2, "B") + a_line(3, 4, "D")
    s = score(tmp_path, m2, "a B c D e", limit=5)
    assert s.guarded == 1 and counts(s) == (2, 2, 2)
    # a repetitive answer that happens to delete the gold span "b c" gets it counted, as
    # in the full graph; the changes around it are merged into one edit each side
    golds = {0: [GoldEdit(1, 3, "b c", ("",))]}
    edits, guarded = sentence_edits("a b c d e".split(), ["the"] * 12, golds, limit=100)
    assert guarded and [e[:3] for e in edits[0]] == [(0, 1, "a"), (1, 3, "b c"), (3, 5, "d e")]
    assert edits[0][1] == (1, 3, "b c", "")


def test_the_fallback_merges_changes_over_at_most_two_unchanged_words():
    edits = fallback_edits("a b c d e f".split(), "x b y d e z".split(), [])
    assert edits == [(0, 3, "a b c", "x b y"), (5, 6, "f", "z")]
    assert fallback_edits("a b c d e f".split(), "x b y d e z".split(), [],
                          max_unchanged=0) == [(0, 1, "a", "x"), (2, 3, "c", "y"),
                                               (5, 6, "f", "z")]


def test_empty_source_and_hypothesis(tmp_path):
    assert counts(score(tmp_path, "S \n", "")) == (0, 0, 0)
    assert counts(score(tmp_path, "S \n" + a_line(0, 0, "Hello"), "Hello")) == (1, 1, 1)


def test_hypotheses_are_read_as_the_official_scorer_reads_them(tmp_path):
    # lines end at "\n" only: a form feed or U+2028 stays inside its line (and splits tokens)
    path = write(tmp_path / "hyp.txt", "a\u2028b \r\n\x0cc d\n\n")
    assert read_hypothesis_lines(path) == ["a\u2028b", "c d", ""]
    assert read_hypothesis_lines(write(tmp_path / "n.txt", "a")) == ["a"]


def test_a_different_number_of_hypotheses_is_an_input_error(tmp_path):
    from preprocess.texttools.errors import InputError
    with pytest.raises(InputError, match="2 hypotheses for 1 M2 sentences"):
        score(tmp_path, SVA, "a", "b")


# ----------------------------------------------------------------------------- command line

def evaluate(*args):
    return run([sys.executable, REPO / "scripts" / "evaluate_gec.py", *map(str, args)],
               check=False)


def test_cli_prints_the_m2_line(tmp_path):
    gold = write(tmp_path / "gold.m2", TWO_ANNOTATORS)
    hyp = write(tmp_path / "hyp.txt", "The dog barks .\nI has a cat .\n")
    proc = evaluate("--m2", gold, "--hyp", hyp)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "M2 P 100.00 R 100.00 F0.5 100.00\n"
    proc = evaluate("--m2", gold, "--hyp", write(tmp_path / "h2.txt", "The dog barks .\nx\n"),
                    "--beta", "1")
    assert proc.stdout == "M2 P 50.00 R 50.00 F1 50.00\n"


def test_cli_reads_fairseq_output_and_reports_the_guard(tmp_path):
    gold = write(tmp_path / "gold.m2", TWO_ANNOTATORS)
    hyp = write(tmp_path / "gen.txt", "S-1\tI has a cats .\nD-1\t-0.3\t" + "the " * 200
                + "\nD-0\t-0.1\tThe dog barks .\n")
    proc = evaluate("--m2", gold, "--hyp", hyp)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "M2 P 50.00 R 50.00 F0.5 50.00"
    assert lines[1] == (f"M2-guard 1 sentence over {MAX_GRAPH_ARCS} edit-graph arcs scored "
                        "without merged arcs")


@pytest.mark.parametrize("args, fragments", [
    (["--hyp", "{hyp1}"], ["hyp1.txt has 1 lines", "has 2 sentences"]),
    (["--hyp", "{hyp2}", "--edit-stats"], ["--edit-stats", "not --m2"]),
    (["--hyp", "{hyp2}", "--beta", "0"], ["--beta must be positive"]),
])
def test_cli_bad_input_is_one_line(tmp_path, args, fragments):
    paths = {"hyp1": write(tmp_path / "hyp1.txt", "x\n"),
             "hyp2": write(tmp_path / "hyp2.txt", "x\ny\n")}
    gold = write(tmp_path / "gold.m2", TWO_ANNOTATORS)
    proc = evaluate("--m2", gold, *[a.format(**paths) for a in args])
    assert_one_line_error(proc, *fragments)


def test_cli_split_is_required_for_the_gleu_modes_only(tmp_path):
    proc = evaluate("--jfleg-dir", tmp_path, "--hyp", write(tmp_path / "h.txt", "x\n"))
    assert_one_line_error(proc, "--split is required with --jfleg-dir and --gec-data")
