"""Seeded synthetic grammatical-error generator for clean English.

Turns a correct sentence into a plausible learner sentence, for building
(erroneous, corrected) training pairs for grammatical error correction::

    >>> from preprocess.noise import Noiser
    >>> Noiser(seed=1).noise("The man is walking to the market.")   # doctest: +SKIP
    'The man are walking the market.'

Error types (keys of the ``rates`` dict, see :data:`DEFAULT_RATES`); each rate is the
probability that one *opportunity* of that type is turned into an error:

==================  ============================================  =======================
key                 what it does                                  opportunity
==================  ============================================  =======================
``article_del``     drops an article/determiner (``the``, ``a``…) each determiner
``article_ins``     inserts ``the``/``a``/``an`` before a word    each content word
``article_sub``     ``a``↔``the``↔``an``, ``this``↔``these``…     each determiner
``prep_del``        drops a preposition                           each preposition
``prep_ins``        inserts a preposition (``discuss about``)     each word boundary
``prep_sub``        ``in``↔``on``↔``at``, ``to``↔``for``…         each preposition
``noun_number``     singular↔plural (``dog``↔``dogs``, ``men``)   each noun after a det.
``verb_form``       another form of the verb (``went``→``goed``)   each known verb form
``sva``             subject–verb agreement (``is``↔``are``)        each finite present verb
``spelling``        keyboard neighbour, swap, drop or doubling    each word of 3+ letters
``word_order``      swaps two adjacent words                      each adjacent word pair
``comma_drop``      removes a comma                               each comma
``comma_ins``       inserts a comma after a word                  each word boundary
``final_period``    drops the sentence-final ``.``/``!``/``?``    once per sentence
``casing``          lowercases a capitalised word (rarely the     each word
                    reverse)
``lowercase_line``  the whole line in lowercase (a learner who   once per line with a
                    never uses the shift key; off by default)     capital letter
==================  ============================================  =======================

Determinism: a :class:`Noiser` owns a ``random.Random(seed)``; the same seed and the
same sequence of sentences give the same output.  A rate of 0 never draws and never
edits, so all rates 0 returns every sentence unchanged (byte for byte).

Works on raw text (``the dog.``) and on PTB-tokenised text (``the dog .``, ``do n't``):
punctuation glued to a word stays glued.  Verb and noun detection uses small hand lists
and regular rules, not a tagger — good enough for synthetic data, not a grammar.

One module per error family (``determiners``, ``prepositions``, ``nouns``, ``verbs``,
``punctuation``, ``case``, ``order``, ``typos``); the rule passes are built from three
shared mechanisms (:mod:`.passes`: drop a token, substitute one, insert one), and
:class:`Noiser` (:mod:`.rules`) runs them in a fixed order. Two more families are noisers
of their own, applied after the rules (``preprocess.gec_data`` chains them):

* :mod:`.spellchecker` — the inverted spellchecker (Grundkiewicz et al. 2019): words
  replaced by one of a spelling library's suggestions for them, deleted, inserted or
  swapped, then character noise;
* :mod:`.learner` — the learners' own edits read off M2/FCE training annotations,
  undone in clean sentences at the corpora's own rates.

CLI (one sentence per line, stdin→stdout by default)::

    python -m preprocess.noise --seed 1 --rates spelling=0.05,sva=0.3 < clean.txt > noisy.txt
    python -m preprocess.noise --scale 2 -i clean.txt -o noisy.txt --copies 2
    python -m preprocess.noise --rates all=0 --spellchecker 1 < clean.txt   # MAGEC only
"""
from .rates import DEFAULT_RATES, ERROR_TYPES, check_rates, parse_rates
from .rules import Noiser


class Chain:
    """Noisers applied one after the other (each has ``noise(sentence)``)."""

    def __init__(self, noisers):
        self.noisers = list(noisers)

    def noise(self, sentence: str) -> str:
        for noiser in self.noisers:
            sentence = noiser.noise(sentence)
        return sentence


__all__ = ["Chain", "DEFAULT_RATES", "ERROR_TYPES", "Noiser", "check_rates", "parse_rates"]
