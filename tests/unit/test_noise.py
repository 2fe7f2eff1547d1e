"""preprocess.noise: the seeded synthetic learner errors, on hand-written sentences."""
import sys

import pytest

from conftest import REPO, run

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
