"""The rule-based noiser: every rule pass of the error families, in a fixed order."""
from __future__ import annotations

import random
from typing import Dict, Iterable, List, Optional, Tuple

from . import case, determiners, nouns, order, prepositions, punctuation, typos, verbs
from .rates import DEFAULT_RATES, check_rates
from .tokens import join, split

# fixed order: lexical edits first, typos last so the lexicon still matches
PASSES = (
    ("sva", verbs.sva),
    ("verb_form", verbs.verb_form),
    ("noun_number", nouns.noun_number),
    ("article_sub", determiners.article_sub),
    ("prep_sub", prepositions.prep_sub),
    ("article_del", determiners.article_del),
    ("prep_del", prepositions.prep_del),
    ("article_ins", determiners.article_ins),
    ("prep_ins", prepositions.prep_ins),
    ("word_order", order.word_order),
    ("comma_drop", punctuation.comma_drop),
    ("comma_ins", punctuation.comma_ins),
    ("final_period", punctuation.final_period),
    ("casing", case.casing),
    ("spelling", typos.spelling),
    ("lowercase_line", case.lowercase_line),
)
assert tuple(sorted(n for n, _ in PASSES)) == tuple(sorted(DEFAULT_RATES))


class Noiser:
    """Seeded generator of learner-like errors; see :mod:`preprocess.noise` for ``rates``.

    ``rates`` may name only some error types: the others keep :data:`DEFAULT_RATES`
    unless ``defaults=False`` (then they are 0).
    """

    def __init__(self, rates: Optional[Dict[str, float]] = None, seed: int = 0,
                 defaults: bool = True):
        base = dict(DEFAULT_RATES) if defaults else {k: 0.0 for k in DEFAULT_RATES}
        base.update(rates or {})
        self.rates = check_rates(base)
        self.seed = seed
        self.rng = random.Random(seed)

    def noise(self, sentence: str) -> str:
        """The sentence with synthetic errors (unchanged when nothing fired)."""
        return self.noise_verbose(sentence)[0]

    def noise_verbose(self, sentence: str) -> Tuple[str, List[str]]:
        """(noisy sentence, names of the error types applied, in order)."""
        toks = split(sentence)
        if not toks:
            return sentence, []
        ops: List[str] = []
        for name, pass_ in PASSES:
            if self.rates[name] > 0:
                toks = pass_(self.rng, toks, self.rates[name], ops)
        if not ops:
            return sentence, ops
        return join(toks), ops

    def noise_lines(self, lines: Iterable[str]) -> Iterable[str]:
        for line in lines:
            yield self.noise(line.rstrip("\n"))

    def typo(self, word: str) -> str:
        """One typing slip in ``word``: keyboard neighbour, swap, drop or doubling."""
        return typos.typo(self.rng, word)
