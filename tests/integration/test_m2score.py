"""M2 on CoNLL-2014 test: ``evaluate_gec.py --m2`` gives the official M2Scorer 3.2 figures.

The expected figures below come from the official M2Scorer 3.2 (nusnlp/m2scorer, tag
version3.2) run through a Python 3 port kept outside the project (its results equal
those of the unmodified 3.2 under Python 2.7) on the same outputs built here from the
shared CoNLL-2014 file: (a) the source copied unchanged, (b) annotator 0's corrections,
(c) annotator 1's corrections (``preprocess.m2``'s ``M2Sentence.corrected``).  Skipped
when the shared data is not there.
"""
import sys

import pytest

from support import DATA_DIR, REPO, run

from preprocess.m2 import read_m2

CONLL14 = DATA_DIR / "gec-learner" / "conll14" / "official-2014.combined.m2"

pytestmark = pytest.mark.skipif(not CONLL14.is_file(),
                                reason=f"CoNLL-2014 test M2 not found at {CONLL14}")

#: (P, R, F0.5) of the official M2Scorer 3.2 on CoNLL-2014 test (1,312 sentences)
OFFICIAL = {
    "source": (1.0, 0.0, 0.0),
    "annotator0": (0.9896049896049897, 0.9916666666666667, 0.9900166389351083),
    "annotator1": (0.9879219572623104, 0.9620024125452352, 0.9826269098077871),
}


def output(name, sentences):
    if name == "source":
        return [" ".join(s.source) for s in sentences]
    return [" ".join(s.corrected(int(name[-1]))) for s in sentences]


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_m2_equals_the_official_scorer_on_conll14(name, tmp_path):
    sentences = read_m2(str(CONLL14))
    assert len(sentences) == 1312
    hyp = tmp_path / f"{name}.txt"
    hyp.write_text("".join(line + "\n" for line in output(name, sentences)), encoding="utf-8")
    proc = run([sys.executable, REPO / "scripts" / "evaluate_gec.py", "--m2", CONLL14,
                "--hyp", hyp])
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout           # no sentence needed the guard
    label, p_key, p, r_key, r, f_key, f = lines[0].split()
    assert (label, p_key, r_key, f_key) == ("M2", "P", "R", "F0.5")
    for ours, official in zip((p, r, f), OFFICIAL[name]):
        assert abs(float(ours) - 100 * official) <= 0.01, (lines[0], OFFICIAL[name])
