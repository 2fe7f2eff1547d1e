"""preprocess.noise: the seeded synthetic learner errors, on hand-written sentences."""
import json
import random
import re
import sys

import pytest

from support import REPO, run

from preprocess.noise import DEFAULT_RATES, ERROR_TYPES, Noiser, parse_rates

SENTENCES = [
    "A man is walking to the market with his dog .",
    "She goes to school every day and they play football in the park .",
    "Two young , White males are outside near many bushes .",
    "The children were eating apples , pears and grapes at the table .",
    "I do n't know what he wants from these people .",
    "He has bought a new car for his wife in London .",
]


def test_noiser_is_deterministic_for_a_seed():
    a = [Noiser(seed=7).noise(s) for s in SENTENCES * 3]
    b = [Noiser(seed=7).noise(s) for s in SENTENCES * 3]
    n1, n2 = Noiser(seed=7), Noiser(seed=7)
    assert [n1.noise(s) for s in SENTENCES * 3] == [n2.noise(s) for s in SENTENCES * 3]
    assert a == b
    c = [Noiser(seed=8, rates={"spelling": 0.3}).noise(s) for s in SENTENCES * 3]
    d = [Noiser(seed=9, rates={"spelling": 0.3}).noise(s) for s in SENTENCES * 3]
    assert c != d
    assert any(x != s for x, s in zip(a, SENTENCES * 3))


def test_all_rates_zero_is_identity():
    zero = {k: 0.0 for k in ERROR_TYPES}
    noiser = Noiser(zero, seed=3)
    odd = SENTENCES + ["  spaced   out\ttext ", "", "Hello, world!", "it's (fine)..."]
    assert [noiser.noise(s) for s in odd] == odd
    assert Noiser({}, seed=3, defaults=False).noise(SENTENCES[0]) == SENTENCES[0]


FIRES = {
    "article_del": (SENTENCES[0], lambda a, b: b.split().count("the") < a.split().count("the")
                    or len(b.split()) < len(a.split())),
    "article_ins": ("She drinks milk and eats bread in London .",
                    lambda a, b: any(w in b.split() for w in ("the", "a", "an"))),
    "article_sub": (SENTENCES[0], lambda a, b: len(a.split()) == len(b.split()) and a != b),
    "prep_del": (SENTENCES[0], lambda a, b: len(b.split()) < len(a.split())),
    "prep_ins": ("She saw the dog and called them .", lambda a, b: len(b.split()) > len(a.split())),
    "prep_sub": (SENTENCES[0], lambda a, b: len(a.split()) == len(b.split()) and a != b),
    "noun_number": (SENTENCES[0], lambda a, b: "men" in b.split() or "markets" in b.split()
                    or "dogs" in b.split()),
    "verb_form": (SENTENCES[5], lambda a, b: "has" not in b.split() or "bought" not in b.split()),
    "sva": (SENTENCES[1], lambda a, b: "go" in b.split() or "plays" in b.split()),
    "spelling": (SENTENCES[1], lambda a, b: len(a.split()) == len(b.split()) and a != b),
    "word_order": (SENTENCES[1], lambda a, b: sorted(a.split()) == sorted(b.split()) and a != b),
    "comma_drop": (SENTENCES[3], lambda a, b: b.count(",") < a.count(",")),
    "comma_ins": (SENTENCES[0], lambda a, b: b.count(",") > a.count(",")),
    "final_period": (SENTENCES[0], lambda a, b: not b.endswith(".")),
    "casing": (SENTENCES[2], lambda a, b: a.lower() == b.lower() and a != b),
    "lowercase_line": (SENTENCES[2], lambda a, b: b == a.lower()),
}


@pytest.mark.parametrize("kind", ERROR_TYPES)
def test_each_error_type_fires(kind):
    sentence, check = FIRES[kind]
    noiser = Noiser({kind: 1.0}, seed=1, defaults=False)
    out, ops = noiser.noise_verbose(sentence)
    assert ops and set(ops) == {kind}, (kind, out, ops)
    assert out != sentence and check(sentence, out), (kind, out)


def test_error_rates_are_roughly_respected():
    noiser = Noiser({"spelling": 0.1}, seed=2, defaults=False)
    words = changed = 0
    for _ in range(40):
        for s in SENTENCES:
            out = noiser.noise(s)
            words += sum(len(w) >= 3 and w.isalpha() for w in s.split())
            changed += sum(a != b for a, b in zip(s.split(), out.split()))
    assert 0.05 < changed / words < 0.16


def test_parse_rates_and_noise_cli():
    assert parse_rates("all=0,sva=0.5")["sva"] == 0.5
    assert parse_rates(None, scale=2)["spelling"] == 2 * DEFAULT_RATES["spelling"]
    with pytest.raises(ValueError):
        parse_rates("bogus=1")
    with pytest.raises(ValueError):
        parse_rates("sva=2")
    text = "\n".join(SENTENCES) + "\n"
    same = run([sys.executable, "-m", "preprocess.noise", "--rates", "all=0"], input=text, cwd=REPO)
    assert same.stdout == text
    a = run([sys.executable, "-m", "preprocess.noise", "--seed", "4", "--copies", "2"],
            input=text, cwd=REPO).stdout
    b = run([sys.executable, "-m", "preprocess.noise", "--seed", "4", "--copies", "2"],
            input=text, cwd=REPO).stdout
    assert a == b and len(a.splitlines()) == 2 * len(SENTENCES)
    bad = run([sys.executable, "-m", "preprocess.noise", "--rates", "bogus=1"], input=text,
              cwd=REPO, check=False)
    assert bad.returncode == 2 and "unknown error type" in bad.stderr




def only(kind, seed=1):
    """A Noiser that makes errors of one type at every opportunity, and no others."""
    return Noiser({kind: 1.0}, seed=seed, defaults=False)


def test_dropped_first_word_hands_its_capital_to_the_next():
    assert only("article_del").noise("The dog runs .") == "Dog runs ."
    assert only("article_del").noise("The dog runs.") == "Dog runs."   # the period stays glued


def test_edits_keep_punctuation_glued_and_list_their_types_in_order():
    assert only("sva").noise("He is here.") == "He are here."
    assert only("final_period").noise("He is here.") == "He is here"
    assert only("comma_drop").noise("Apples, pears and grapes.") == "Apples pears and grapes."
    out, ops = Noiser({"sva": 1.0, "spelling": 1.0}, seed=1, defaults=False).noise_verbose(
        "She goes home .")
    assert ops == ["sva", "spelling", "spelling"] and out.split()[1] == "go"   # typos last


def test_lowercase_line_needs_a_capital():
    assert only("lowercase_line").noise("Tom is in London.") == "tom is in london."
    assert only("lowercase_line").noise_verbose("no capitals here .") == ("no capitals here .",
                                                                          [])


def test_rate_zero_never_draws():
    """All rates 0: the random stream is untouched, so other seeded output cannot shift."""
    noiser = Noiser({k: 0.0 for k in ERROR_TYPES}, seed=5)
    for sentence in SENTENCES:
        noiser.noise(sentence)
    assert noiser.rng.random() == random.Random(5).random()


def test_typo_is_one_slip_of_the_keyboard():
    """Each typo changes a word by a neighbouring key, a swap, a drop or a doubling."""
    noiser = Noiser(seed=3)
    word = "keyboard"
    for _ in range(50):
        typo = noiser.typo(word)
        assert typo != word and abs(len(typo) - len(word)) <= 1, typo
        if len(typo) == len(word):   # neighbour key (1 letter differs) or swap (2 adjacent)
            diff = [i for i, (a, b) in enumerate(zip(word, typo)) if a != b]
            assert len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                      and typo[diff[0]] == word[diff[1]]), typo
        else:                         # drop or doubling: one letter out, the rest in order
            short, long = sorted((word, typo), key=len)
            assert any(long[:i] + long[i + 1:] == short for i in range(len(long))), typo


def test_parse_rates_accepts_json_and_names_the_bad_part(tmp_path):
    assert parse_rates('{"sva": 0.3}')["sva"] == 0.3
    path = tmp_path / "rates.json"
    path.write_text(json.dumps({"all": 0, "casing": 0.5}))
    rates = parse_rates(str(path))
    assert rates["casing"] == 0.5 and sum(rates.values()) == 0.5
    assert parse_rates("sva=0.3")["article_del"] == DEFAULT_RATES["article_del"]   # kept
    for spec, message in (("sva", "expected key=value"), ("sva=x", "'x' is not a number"),
                          ("sva=-0.1", "sva=-0.1 is outside [0, 1]")):
        with pytest.raises(ValueError, match=re.escape(message)):
            parse_rates(spec)
