"""preprocess.noise's two non-rule families on small sentences: the inverted spellchecker
(symspellpy's dictionary; skipped where it is not installed) and the learners' own edits."""
import pytest

from preprocess.m2 import read_m2
from preprocess.noise.learner import learn, LearnerStats
from preprocess.patterns import PatternNoiser

M2 = """S This are a sentence about the dogs .
A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0
A 5 5|||M:DET|||the|||REQUIRED|||-NONE-|||0

S I discuss about it .
A 2 3|||U:PREP||||||REQUIRED|||-NONE-|||0

S This is fine .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0
"""


@pytest.fixture
def m2(tmp_path):
    path = tmp_path / "train.m2"
    path.write_text(M2, encoding="utf-8")
    return read_m2(str(path))


def test_an_extracted_pattern_reproduces_the_m2_edit_reversed(m2):
    stats = LearnerStats()
    table = learn(m2, stats=stats)
    assert stats.edits == 3 and stats.types == {"R:VERB:SVA": 1, "M:DET": 1, "U:PREP": 1}
    # "is" occurs twice in the corrections, made "are" once; "the" twice, left out once
    assert table[("is",)] == (0.5, [(("are",), 1)])
    assert table[("the",)] == (0.5, [((), 1)])
    assert table[("discuss",)] == (1.0, [(("discuss", "about"), 1)])
    always = PatternNoiser({k: (1.0, v) for k, (_, v) in table.items()}, seed=1)
    assert always.noise("This is a sentence about the cats .") == \
        "This are a sentence about cats ."
    assert always.noise("We discuss it .") == "We discuss about it ."
    assert always.noise("Nothing to see here .") == "Nothing to see here ."


def test_learner_patterns_are_deterministic_for_a_seed(m2):
    table = learn(m2)
    lines = ["This is the one ."] * 40
    first, second = PatternNoiser(table, seed=3), PatternNoiser(table, seed=3)
    a = [first.noise(s) for s in lines]
    assert a == [second.noise(s) for s in lines]
    assert len(set(a)) > 1   # at p 0.5 some lines change, some do not


spelling = pytest.importorskip("preprocess.texttools.spelling")
if not spelling.available():
    pytest.skip("symspellpy is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def checker():
    return spelling.speller()


def test_a_confusion_set_substitution_comes_from_the_dictionary(checker):
    from preprocess.noise.spellchecker import SpellcheckerNoiser
    assert "there" in checker.confusion_set("their")
    assert "their" not in checker.confusion_set("their")
    assert all(checker.known(w) for w in checker.confusion_set("walking"))
    # every word chosen, always replaced, no letter noise: each output word is offered
    magec = SpellcheckerNoiser(seed=1, mean=1.0, std=0.0, p_sub=1.0, char_rate=0.0,
                               checker=checker)
    clean = "their dog was walking in the park"
    noisy = magec.noise(clean).split()
    assert len(noisy) == len(clean.split())
    for old, new in zip(clean.split(), noisy):
        assert new in checker.confusion_set(old)
    # the case of the word is kept
    assert magec.noise("Their dog").split()[0][0].isupper()


def test_spellchecker_noise_rates_and_seed(checker):
    from preprocess.noise.spellchecker import SpellcheckerNoiser
    lines = ["the man is walking to the market with his dog ."] * 50
    first, second = (SpellcheckerNoiser(seed=2, checker=checker) for _ in range(2))
    assert [first.noise(s) for s in lines] == [second.noise(s) for s in lines]
    off = SpellcheckerNoiser(seed=2, share=0.0, checker=checker)
    assert [off.noise(s) for s in lines] == lines
    some = SpellcheckerNoiser(seed=2, checker=checker)
    out = [some.noise(s) for s in lines]
    assert 10 < sum(o != s for o, s in zip(out, lines)) < 50
