"""preprocess.patterns: edits learnt from (learner, corrected) pairs, replayed as noise."""
import pytest


def test_patterns_edits_rates_and_case():
    from preprocess.patterns import PatternNoiser, edits, learn
    assert list(edits("He goes to the school .".split(), "He go to school .".split())) == [
        (("goes",), ("go",)), (("the",), ())]
    # a word the learner added is anchored on the word before it
    assert list(edits("We discuss it .".split(), "We discuss about it .".split())) == [
        (("discuss",), ("discuss", "about"))]
    table = learn([("He go to school .", "He goes to the school ."),
                   ("The cat sat on the mat .", "The cat sat on the mat .")])
    # "the" occurs 3 times in the corrections (case-folded) and is left out once
    assert table[("the",)] == (1 / 3, [((), 1)])
    assert table[("goes",)] == (1.0, [(("go",), 1)])
    assert PatternNoiser(table, scale=0, seed=1).noise("He goes to the park .") == \
        "He goes to the park ."
    always = PatternNoiser({("the",): (1.0, [((), 1)]), ("i",): (1.0, [(("i",), 1)]),
                            ("a",): (1.0, [(("the",), 1)]),
                            ("discuss",): (1.0, [(("discuss", "about"), 1)])}, seed=1)
    assert always.noise("The dog and the cat .") == "Dog and cat ."   # the capital moves on
    assert always.noise("Then I left .") == "Then i left ."   # a casing error as learnt
    assert always.noise("A dog saw a cat .") == "The dog saw the cat ."
    assert always.noise("Discuss it .") == "Discuss about it ."
    with pytest.raises(ValueError, match="scale"):
        PatternNoiser(table, scale=-1)
