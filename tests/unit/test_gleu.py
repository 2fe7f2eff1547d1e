"""preprocess.texttools.gleu: GLEU statistics on five hand-written learner sentences.

A statistics row of one hypothesis against one reference is
``[numer_1..numer_4, denom_1..denom_4, ref_len, hyp_len]`` (10 numbers). The same figures
against JFLEG and its published baselines are in tests/integration/test_gec.py.
"""
import random

import numpy as np
import pytest

from support import cli, run

from preprocess.texttools import gleu

SOURCES = ["He go to school every day .",
           "She have two cat and one dog .",
           "I am agree with you about this .",
           "They was happy when they seen the film .",
           "We discuss about the problem yesterday ."]
REFS = [["He goes to school every day .",
         "She has two cats and one dog .",
         "I agree with you about this .",
         "They were happy when they saw the film .",
         "We discussed the problem yesterday ."],
        ["He went to school every day .",
         "She has two cats and a dog .",
         "I agree with you on this .",
         "They were happy when they had seen the film .",
         "We discussed the problem yesterday ."]]
HYPS = ["He goes to school every day .",
        "She has two cat and one dog .",
        "I am agree with you about this .",
        "They were happy when they seen the film .",
        "We discussed about the problem yesterday ."]
N = len(SOURCES)


def test_sentence_stats_by_hand():
    """Source 'the cat sit on mat', reference 'the cat sits on the mat'. Hypothesis
    'the cat sit on the mat': of its 6 unigrams 5 are in the reference, and 'sit' was kept
    from the source though the reference changed it (a penalty): 5 - 1 = 4. Bigrams: 3 in
    the reference, 'cat sit' and 'sit on' penalised: 1. Trigrams: 1 match, 2 penalties,
    clipped at the matches: 0. 4-grams: none. Denominators: 6, 5, 4, 3 n-grams."""
    rows = gleu.sentence_stats("the cat sit on mat", ["the cat sits on the mat"],
                                      "the cat sit on the mat")
    assert rows.shape == (1, 10)
    assert rows.tolist() == [[4, 1, 0, 0, 6, 5, 4, 3, 6, 6]]
    two = gleu.sentence_stats("the cat sit on mat", ["the cat sits on the mat",
                                                            "a cat sat on the mat"],
                                     "the cat sits on the mat")
    assert two.shape == (2, 10)   # one row per reference
    assert two[0].tolist() == [6, 5, 4, 3, 6, 5, 4, 3, 6, 6]   # = reference 0: all match


def test_rows_add_up():
    """Per row: matches never exceed the hypothesis's n-grams, and those number
    hyp_len - n + 1; the last two columns are the lengths."""
    for s, h, *refs in zip(SOURCES, HYPS, *REFS):
        rows = gleu.sentence_stats(s, refs, h)
        numer, denom = rows[:, :4], rows[:, 4:8]
        assert (0 <= numer).all() and (numer <= denom).all()
        hyp_len = len(h.split())
        assert (denom == [max(hyp_len - n + 1, 0) for n in range(1, 5)]).all()
        assert rows[:, 8].tolist() == [len(r.split()) for r in refs]
        assert (rows[:, 9] == hyp_len).all()


def test_a_reference_scores_100_and_the_source_scores_less():
    assert gleu.corpus_gleu(SOURCES, REFS[:1], REFS[0]) == pytest.approx(100.0)
    # against both references, reference 0 is drawn for some sentences only
    assert 50 < gleu.corpus_gleu(SOURCES, REFS, REFS[0]) < 100
    copied = gleu.corpus_gleu(SOURCES, REFS, SOURCES)
    corrected = gleu.corpus_gleu(SOURCES, REFS, HYPS)
    assert 0 < copied < corrected < 100


def test_corpus_gleu_equals_the_packages_corpus_routine():
    """Same reference draws: our bookkeeping = gleu.corpus_main.drn_accum_to_gleu."""
    ours = gleu.corpus_gleu(SOURCES, REFS, HYPS, iterations=30)
    from gleu import aggreg, corpus_main, count   # the PyPI package

    gleu._gleu()   # word tokenisation, as the package's CLI selects it
    rs = list(zip(*REFS))
    drn = aggreg.make_drn_accum(4, SOURCES, rs, HYPS)
    dr_rlen = count.make_dx_xlen(rs)
    d_hlen = np.array([len(h.split()) for h in HYPS])
    rindex = gleu.ref_indices(N, 2, 30)
    theirs = 100 * np.mean([corpus_main.drn_accum_to_gleu(drn, rindex[i], dr_rlen, d_hlen)
                            for i in range(30)])
    assert ours == pytest.approx(theirs, abs=1e-9)


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_python2_seeding_equals_the_gleu_command_with_fix_seed(tmp_path):
    """The package's own CLI (``gleu --fix-seed``) on files prints the same score."""
    src = write_lines(tmp_path / "src", SOURCES)
    refs = [write_lines(tmp_path / f"ref{i}", r) for i, r in enumerate(REFS)]
    hyp = write_lines(tmp_path / "hyp", HYPS)
    out = run([cli("gleu"), "-s", src, "-r", *refs, "-o", hyp, "--fix-seed", "-i", "40",
               "-d", "6"]).stdout
    theirs = float(out.strip().split("\t")[-1])
    ours = gleu.corpus_gleu(SOURCES, REFS, HYPS, iterations=40, seeding="python2")
    assert ours == pytest.approx(theirs, abs=1e-6)
    assert ours != pytest.approx(gleu.corpus_gleu(SOURCES, REFS, HYPS, iterations=40))


def test_batch_statistics_add_up_to_the_corpus():
    """What a fairseq task sums batch by batch ((iterations, 10) per batch) = the corpus."""
    rindex = gleu.ref_indices(N, 2, 25)
    rows = [gleu.sentence_stats(s, [r[d] for r in REFS], h)
            for d, (s, h) in enumerate(zip(SOURCES, HYPS))]
    whole = gleu.iteration_stats(range(N), rows, rindex)
    batches = [[3, 0], [4], [1, 2]]
    parts = [gleu.iteration_stats(b, [rows[d] for d in b], rindex) for b in batches]
    assert whole.shape == (25, 10) and all(p.shape == (25, 10) for p in parts)
    assert np.array_equal(sum(parts), whole)
    assert gleu.gleu_from_iteration_stats(sum(parts)) == pytest.approx(
        gleu.corpus_gleu(SOURCES, REFS, HYPS, iterations=25), abs=1e-9)


def test_reference_draws_are_seeded_and_per_sentence():
    """(iterations, sentences), values < references, read-only; a sentence's draw does not
    depend on how many sentences there are (so not on the batch it is scored in)."""
    idx = gleu.ref_indices(7, 4, 20)
    assert idx.shape == (20, 7) and idx.min() >= 0 and idx.max() <= 3
    assert len(np.unique(idx)) == 4 and not idx.flags.writeable
    assert np.array_equal(gleu.ref_indices(3, 4, 20), idx[:, :3])
    with pytest.raises(ValueError, match="unknown seeding"):
        gleu.ref_indices(3, 4, 20, seeding="numpy")


def test_jfleg_draws_are_those_of_the_official_script():
    """JFLEG's eval/gleu.py, run with Python 3: per iteration j, random.seed(j * 101),
    then one randint(0, refs - 1) per sentence. Its published baselines depend on these."""
    state = random.getstate()
    try:
        expected = []
        for j in range(20):
            random.seed(j * 101)
            expected.append([random.randint(0, 3) for _ in range(7)])
    finally:
        random.setstate(state)
    assert gleu.ref_indices(7, 4, 20).tolist() == expected


def test_one_reference_needs_no_draw():
    """With one reference every seeding gives the same score."""
    refs = REFS[:1]
    scores = {seeding: gleu.corpus_gleu(SOURCES, refs, HYPS, iterations=5,
                                               seeding=seeding)
              for seeding in ("jfleg", "python2")}
    assert scores["jfleg"] == pytest.approx(scores["python2"], abs=1e-12)


def test_bad_corpora_are_refused():
    with pytest.raises(ValueError, match="line counts differ"):
        gleu.corpus_gleu(SOURCES, REFS, HYPS[:-1])
    with pytest.raises(ValueError, match="no sentences"):
        gleu.corpus_gleu([], [[]], [])
