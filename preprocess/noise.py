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

CLI (one sentence per line, stdin→stdout by default)::

    python -m preprocess.noise --seed 1 --rates spelling=0.05,sva=0.3 < clean.txt > noisy.txt
    python -m preprocess.noise --scale 2 -i clean.txt -o noisy.txt --copies 2
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from typing import Dict, Iterable, List, Optional, Tuple

from fairseq_plugins.text.errors import InputError

from .cli import run_main
from .text import capitalise

# ----------------------------------------------------------------------------- rates

DEFAULT_RATES: Dict[str, float] = {
    "article_del": 0.12,
    "article_ins": 0.015,
    "article_sub": 0.08,
    "prep_del": 0.06,
    "prep_ins": 0.01,
    "prep_sub": 0.10,
    "noun_number": 0.08,
    "verb_form": 0.07,
    "sva": 0.10,
    "spelling": 0.025,
    "word_order": 0.01,
    "comma_drop": 0.15,
    "comma_ins": 0.01,
    "final_period": 0.05,
    "casing": 0.02,
    # 11% of JFLEG dev's learner sentences (82 of 754) have no capital letter at all, 2.7%
    # of the synthetic inputs; 0 keeps the data the recipe's figures were measured on
    "lowercase_line": 0.0,
}
ERROR_TYPES: Tuple[str, ...] = tuple(DEFAULT_RATES)


def parse_rates(spec: Optional[str], base: Optional[Dict[str, float]] = None,
                scale: float = 1.0) -> Dict[str, float]:
    """Rates from ``key=value,key=value`` (or a JSON object / path to a JSON file).

    Keys not named keep their ``base`` value (default :data:`DEFAULT_RATES`) times
    ``scale``.  ``all=0`` (or any ``all=x``) sets every rate first.  Raises
    ``ValueError`` on unknown keys or values outside [0, 1].
    """
    rates = {k: v * scale for k, v in (base or DEFAULT_RATES).items()}
    if not spec:
        return _check_rates(rates)
    spec = spec.strip()
    if spec.startswith("{"):
        given = json.loads(spec)
    elif spec.endswith(".json"):
        with open(spec, encoding="utf-8") as f:
            given = json.load(f)
    else:
        given = {}
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise ValueError(f"bad rate {part!r}: expected key=value")
            k, v = part.split("=", 1)
            try:
                given[k.strip()] = float(v)
            except ValueError:
                raise ValueError(f"bad rate {part!r}: {v!r} is not a number") from None
    if "all" in given:
        everything = float(given.pop("all"))
        rates = {k: everything for k in rates}
    for k, v in given.items():
        if k not in rates:
            raise ValueError(f"unknown error type {k!r} (known: {', '.join(ERROR_TYPES)})")
        rates[k] = float(v)
    return _check_rates(rates)


def _check_rates(rates: Dict[str, float]) -> Dict[str, float]:
    for k, v in rates.items():
        if k not in DEFAULT_RATES:
            raise ValueError(f"unknown error type {k!r} (known: {', '.join(ERROR_TYPES)})")
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"rate {k}={v} is outside [0, 1]")
    return rates


# ----------------------------------------------------------------------------- lexicon

ARTICLES = ("the", "a", "an")
DETERMINER_SUBS = {
    "the": ("a", "an", "this"),
    "a": ("the", "an", "one"),
    "an": ("a", "the"),
    "this": ("these", "that", "the"),
    "these": ("this", "those", "the"),
    "that": ("those", "this"),
    "those": ("that", "these"),
    "some": ("any", "a"),
    "any": ("some",),
    "much": ("many",),
    "many": ("much",),
    "every": ("all", "each"),
    "each": ("every", "all"),
    "his": ("him", "he"),
    "their": ("there", "they"),
    "its": ("it's", "it"),
}
DROPPABLE_DETERMINERS = {"the", "a", "an", "this", "these", "that", "those", "some", "any",
                         "my", "your", "his", "her", "its", "our", "their"}
DETERMINERS = set(DETERMINER_SUBS) | DROPPABLE_DETERMINERS | {
    "no", "both", "either", "neither", "several", "few", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine", "ten", "another", "other", "all", "most"}
PLURAL_DETERMINERS = {"these", "those", "many", "several", "few", "two", "three", "four",
                      "five", "six", "seven", "eight", "nine", "ten", "both", "all", "most"}

PREPOSITIONS = ("in", "on", "at", "to", "for", "of", "with", "from", "by", "about", "into",
                "onto", "over", "under", "through", "during", "near", "behind", "across",
                "around", "along", "towards", "toward", "against", "between", "among",
                "without", "inside", "outside", "after", "before", "up", "down", "off")
PREP_SUBS = {
    "in": ("on", "at", "into", "to"), "on": ("in", "at", "onto", "to"),
    "at": ("in", "on", "to"), "to": ("for", "at", "into", "in"),
    "for": ("to", "of", "since"), "of": ("for", "from", "about"),
    "with": ("by", "to", "from"), "from": ("of", "by", "since"),
    "by": ("with", "from", "on"), "about": ("of", "on", "for"),
    "into": ("in", "to", "on"), "onto": ("on", "in", "to"),
    "over": ("on", "above", "across"), "under": ("below", "in"),
    "through": ("across", "in", "by"), "during": ("in", "for", "while"),
    "near": ("next", "by", "at"), "across": ("through", "over", "in"),
    "around": ("round", "about", "in"), "along": ("on", "across", "through"),
    "towards": ("to", "for"), "toward": ("to", "for"), "against": ("on", "to", "with"),
    "between": ("among", "in"), "among": ("between", "in"),
    "without": ("with", "no"), "after": ("before", "since"), "before": ("after", "until"),
}
PREP_INSERTS = ("to", "of", "about", "for", "in", "on", "with", "at")

PRONOUN_3SG = {"he", "she", "it", "this", "that", "everyone", "everybody", "someone",
               "somebody", "nobody", "one"}
PRONOUN_NON3SG = {"i", "you", "we", "they", "these", "those"}

# Irregular verbs: base, 3sg present, past, past participle, -ing.
_IRREGULAR = """
be is was been being
have has had had having
do does did done doing
go goes went gone going
make makes made made making
take takes took taken taking
come comes came come coming
see sees saw seen seeing
get gets got gotten getting
give gives gave given giving
know knows knew known knowing
think thinks thought thought thinking
tell tells told told telling
find finds found found finding
become becomes became become becoming
leave leaves left left leaving
feel feels felt felt feeling
bring brings brought brought bringing
begin begins began begun beginning
keep keeps kept kept keeping
hold holds held held holding
write writes wrote written writing
stand stands stood stood standing
hear hears heard heard hearing
run runs ran run running
sit sits sat sat sitting
speak speaks spoke spoken speaking
lie lies lay lain lying
lead leads led led leading
grow grows grew grown growing
lose loses lost lost losing
fall falls fell fallen falling
eat eats ate eaten eating
drink drinks drank drunk drinking
drive drives drove driven driving
ride rides rode ridden riding
swim swims swam swum swimming
sing sings sang sung singing
throw throws threw thrown throwing
catch catches caught caught catching
buy buys bought bought buying
teach teaches taught taught teaching
fly flies flew flown flying
wear wears wore worn wearing
build builds built built building
sleep sleeps slept slept sleeping
spend spends spent spent spending
send sends sent sent sending
pay pays paid paid paying
meet meets met met meeting
understand understands understood understood understanding
break breaks broke broken breaking
choose chooses chose chosen choosing
forget forgets forgot forgotten forgetting
win wins won won winning
sell sells sold sold selling
read reads read read reading
put puts put put putting
cut cuts cut cut cutting
let lets let let letting
hit hits hit hit hitting
say says said said saying
draw draws drew drawn drawing
dig digs dug dug digging
hang hangs hung hung hanging
climb climbs climbed climbed climbing
"""
# Regular verbs: forms come from spelling rules (see _regular_forms).
_REGULAR = """
walk play look want need like use work call try ask help talk turn start show move live
believe happen seem open change follow stop watch learn carry jump push pull wait stay
smile laugh cook clean dance paint kick pick point reach rest return shout skate ski
study travel visit wash kiss hug enjoy prepare perform pass pose race relax repair roll
hope love hate decide plan arrive close create dress enter fix fill finish hurry improve
listen miss mix need offer order own place plant raise receive remember serve share sign
smell stare surf touch train type climb cross cover check bake board fish hike hunt jog
lift load lean kneel
"""


def _regular_forms(base: str) -> Tuple[str, str, str, str, str]:
    """(base, 3sg, past, past participle, -ing) by English spelling rules."""
    vowels = "aeiou"
    if base.endswith(("s", "x", "z", "ch", "sh", "o")):
        third = base + "es"
    elif base.endswith("y") and base[-2:-1] not in vowels:
        third = base[:-1] + "ies"
    else:
        third = base + "s"
    if base.endswith("e"):
        past, ing = base + "d", base[:-1] + "ing"
    elif base.endswith("y") and base[-2:-1] not in vowels:
        past, ing = base[:-1] + "ied", base + "ing"
    elif (len(base) <= 4 and len(base) >= 3 and base[-1] not in vowels + "wxy"
          and base[-2] in vowels and base[-3] not in vowels):
        past, ing = base + base[-1] + "ed", base + base[-1] + "ing"   # stop -> stopped
    else:
        past, ing = base + "ed", base + "ing"
    return base, third, past, past, ing


VERB_FORMS: Dict[str, Tuple[str, ...]] = {}     # any form -> (base, 3sg, past, pp, ing)
for _line in _IRREGULAR.strip().splitlines():
    _f = tuple(_line.split())
    for _w in _f:
        VERB_FORMS.setdefault(_w, _f)
for _b in _REGULAR.split():
    _f = _regular_forms(_b)
    for _w in _f:
        VERB_FORMS.setdefault(_w, _f)
# "be" has more forms than the table holds.
_BE = ("be", "is", "was", "been", "being")
for _w in ("am", "are", "were"):
    VERB_FORMS[_w] = _BE
VERB_FORM_ERRORS = {  # extra learner-typical wrong forms: over-regularised pasts.
    "went": ("goed", "go", "gone"), "came": ("comed", "come"), "ran": ("runned", "run"),
    "took": ("taked", "take", "taken"), "saw": ("seed", "see", "seen"),
    "ate": ("eated", "eat"), "bought": ("buyed", "buy"), "thought": ("thinked", "think"),
}
# finite present forms and their agreement counterpart
SVA_SWAPS = {"is": "are", "are": "is", "was": "were", "were": "was", "has": "have",
             "have": "has", "does": "do", "do": "does", "am": "is"}
MODALS = {"can", "could", "will", "would", "shall", "should", "may", "might", "must", "to",
          "did", "does", "do", "n't", "not", "'ll", "'d", "cannot"}

IRREGULAR_NOUNS = {
    "man": "men", "woman": "women", "child": "children", "person": "people",
    "foot": "feet", "tooth": "teeth", "mouse": "mice", "goose": "geese", "ox": "oxen",
    "life": "lives", "knife": "knives", "wife": "wives", "leaf": "leaves", "wolf": "wolves",
    "half": "halves", "shelf": "shelves", "sheep": "sheep", "fish": "fish", "deer": "deer",
}
IRREGULAR_PLURALS = {v: k for k, v in IRREGULAR_NOUNS.items()}

# Closed-class words never taken for nouns or content words.
FUNCTION_WORDS = (set(ARTICLES) | DETERMINERS | set(PREPOSITIONS) | PRONOUN_3SG | PRONOUN_NON3SG
                  | MODALS | set(SVA_SWAPS) | {
                      "and", "or", "but", "so", "if", "because", "while", "when", "where",
                      "who", "whom", "which", "what", "why", "how", "than", "then", "there",
                      "here", "as", "not", "very", "too", "also", "just", "me", "him", "her",
                      "us", "them", "my", "your", "our", "their", "its", "it", "been",
                      "being", "be", "yes", "no", "please", "only", "even", "still", "yet",
                      "whose", "although", "though", "since", "until", "unless", "am"})

# Keys touching each key on a US QWERTY keyboard (rows are staggered).
QWERTY_NEIGHBOURS: Dict[str, str] = {
    "q": "wa", "w": "qeas", "e": "wrsd", "r": "etdf", "t": "ryfg", "y": "tugh",
    "u": "yihj", "i": "uojk", "o": "ipkl", "p": "ol",
    "a": "qwsz", "s": "awedxz", "d": "serfcx", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kop",
    "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}

_TOKEN_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
_WORD_RE = re.compile(r"^[A-Za-z]+$")
_SENT_END = {".", "!", "?"}


# ----------------------------------------------------------------------------- tokens

class _Tok:
    """One word or punctuation mark; ``glue`` = no space before it in the output."""
    __slots__ = ("text", "glue")

    def __init__(self, text: str, glue: bool = False):
        self.text = text
        self.glue = glue

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return bool(_WORD_RE.match(self.text))


def _split(sentence: str) -> List[_Tok]:
    toks: List[_Tok] = []
    prev_end = 0
    for m in _TOKEN_RE.finditer(sentence):
        toks.append(_Tok(m.group(), glue=bool(toks) and m.start() == prev_end))
        prev_end = m.end()
    return toks


def _join(toks: List[_Tok]) -> str:
    out = []
    for i, t in enumerate(toks):
        if i and not t.glue:
            out.append(" ")
        out.append(t.text)
    return "".join(out)


def _match_case(new: str, old: str) -> str:
    if old.isupper() and len(old) > 1:
        return new.upper()
    if old[:1].isupper():
        return capitalise(new)
    return new


# ----------------------------------------------------------------------------- noiser

class Noiser:
    """Seeded generator of learner-like errors; see the module docstring for ``rates``.

    ``rates`` may name only some error types: the others keep :data:`DEFAULT_RATES`
    unless ``defaults=False`` (then they are 0).
    """

    def __init__(self, rates: Optional[Dict[str, float]] = None, seed: int = 0,
                 defaults: bool = True):
        base = dict(DEFAULT_RATES) if defaults else {k: 0.0 for k in DEFAULT_RATES}
        base.update(rates or {})
        self.rates = _check_rates(base)
        self.seed = seed
        self.rng = random.Random(seed)

    # -- public -------------------------------------------------------------------------
    def noise(self, sentence: str) -> str:
        """The sentence with synthetic errors (unchanged when nothing fired)."""
        return self.noise_verbose(sentence)[0]

    def noise_verbose(self, sentence: str) -> Tuple[str, List[str]]:
        """(noisy sentence, names of the error types applied, in order)."""
        toks = _split(sentence)
        if not toks:
            return sentence, []
        ops: List[str] = []
        for name, fn in self._passes:
            if self.rates[name] > 0:
                toks = fn(self, toks, self.rates[name], ops)
        if not ops:
            return sentence, ops
        return _join(toks), ops

    def noise_lines(self, lines: Iterable[str]) -> Iterable[str]:
        for line in lines:
            yield self.noise(line.rstrip("\n"))

    # -- helpers ------------------------------------------------------------------------
    def _fire(self, rate: float) -> bool:
        return self.rng.random() < rate

    @staticmethod
    def _drop(toks: List[_Tok], i: int) -> List[_Tok]:
        """Remove toks[i], moving sentence-initial capitalisation to the next word."""
        gone = toks[i]
        rest = toks[:i] + toks[i + 1:]
        if i == 0 and rest and gone.text[:1].isupper() and rest[0].is_word:
            rest[0] = _Tok(capitalise(rest[0].text), False)
        elif i < len(rest) and not gone.glue and rest[i].glue and rest[i].is_word:
            rest[i] = _Tok(rest[i].text, False)   # never glue two words together
        if rest and i == 0:
            rest[0].glue = False
        return rest

    # -- determiners --------------------------------------------------------------------
    def _article_del(self, toks, rate, ops):
        i = 0
        while i < len(toks):
            t = toks[i]
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if (t.low in DROPPABLE_DETERMINERS and nxt is not None and nxt.is_word
                    and not nxt.glue and self._fire(rate)):
                toks = self._drop(toks, i)
                ops.append("article_del")
                continue
            i += 1
        return toks

    def _article_sub(self, toks, rate, ops):
        for i, t in enumerate(toks):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if t.low in DETERMINER_SUBS and nxt is not None and nxt.is_word and self._fire(rate):
                choices = DETERMINER_SUBS[t.low]
                new = choices[self.rng.randrange(len(choices))]
                if t.low in ("a", "an"):   # mostly the classic a/an confusion
                    if self.rng.random() < 0.5:
                        new = "an" if t.low == "a" else "a"
                toks[i] = _Tok(_match_case(new, t.text), t.glue)
                ops.append("article_sub")
        return toks

    def _article_ins(self, toks, rate, ops):
        out: List[_Tok] = []
        for i, t in enumerate(toks):
            prev = out[-1] if out else None
            if (i > 0 and t.is_word and t.text.islower() and t.low not in FUNCTION_WORDS
                    and not t.glue and prev is not None and prev.low not in DETERMINERS
                    and t.low not in VERB_FORMS and self._fire(rate)):
                art = ("the", "a", "an")[self.rng.randrange(3)] if self.rng.random() < 0.3 \
                    else ("the", "a")[self.rng.randrange(2)]
                out.append(_Tok(art, False))
                ops.append("article_ins")
            out.append(t)
        return out

    # -- prepositions -------------------------------------------------------------------
    def _prep_del(self, toks, rate, ops):
        i = 0
        while i < len(toks):
            t = toks[i]
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if (t.low in PREPOSITIONS and nxt is not None and nxt.is_word and not nxt.glue
                    and self._fire(rate)):
                toks = self._drop(toks, i)
                ops.append("prep_del")
                continue
            i += 1
        return toks

    def _prep_sub(self, toks, rate, ops):
        for i, t in enumerate(toks):
            if t.low in PREP_SUBS and self._fire(rate):
                choices = PREP_SUBS[t.low]
                toks[i] = _Tok(_match_case(choices[self.rng.randrange(len(choices))], t.text),
                               t.glue)
                ops.append("prep_sub")
        return toks

    def _prep_ins(self, toks, rate, ops):
        out: List[_Tok] = []
        for i, t in enumerate(toks):
            prev = out[-1] if out else None
            # before a determiner/pronoun object, after a word that is not a preposition
            if (i > 0 and t.is_word and not t.glue and prev is not None and prev.is_word
                    and prev.low not in PREPOSITIONS
                    and (t.low in DETERMINERS or t.low in ("him", "her", "them", "me", "us", "it"))
                    and self._fire(rate)):
                out.append(_Tok(PREP_INSERTS[self.rng.randrange(len(PREP_INSERTS))], False))
                ops.append("prep_ins")
            out.append(t)
        return out

    # -- nouns --------------------------------------------------------------------------
    @staticmethod
    def _pluralise(w: str) -> str:
        if w in IRREGULAR_NOUNS:
            return IRREGULAR_NOUNS[w]
        if w.endswith(("s", "x", "z", "ch", "sh")):
            return w + "es"
        if w.endswith("y") and w[-2:-1] not in "aeiou":
            return w[:-1] + "ies"
        return w + "s"

    @staticmethod
    def _singularise(w: str) -> Optional[str]:
        if w in IRREGULAR_PLURALS:
            return IRREGULAR_PLURALS[w]
        if w.endswith("ies") and len(w) > 4:
            return w[:-3] + "y"
        if w.endswith(("ches", "shes", "xes", "sses", "zes")):
            return w[:-2]
        if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            return w[:-1]
        return None

    def _noun_positions(self, toks) -> List[int]:
        """Heads of determiner phrases: the last plain word of 1-3 words after a det."""
        found = []
        for i, t in enumerate(toks):
            if t.low not in DETERMINERS:
                continue
            j, last = i + 1, None
            while j < len(toks) and j <= i + 3:
                w = toks[j]
                if not w.is_word or w.glue or w.low in FUNCTION_WORDS or not w.text.islower():
                    break
                if w.low in VERB_FORMS and w.low.endswith(("ing", "ed")) and last is not None:
                    break
                last = j
                j += 1
            if last is not None and (not found or found[-1] != last):
                found.append(last)
        return found

    def _noun_number(self, toks, rate, ops):
        for i in self._noun_positions(toks):
            t = toks[i]
            if not self._fire(rate):
                continue
            w = t.low
            plural_ctx = i > 0 and any(toks[k].low in PLURAL_DETERMINERS
                                       for k in range(max(0, i - 3), i))
            sing = self._singularise(w)
            if w in IRREGULAR_NOUNS and w not in IRREGULAR_PLURALS:
                new = IRREGULAR_NOUNS[w]
            elif sing is not None and (plural_ctx or not w.endswith("ss")):
                new = sing
            else:
                new = self._pluralise(w)
            if new == w:
                new = self._pluralise(w) if not w.endswith("s") else w[:-1]
            if new and new != w:
                toks[i] = _Tok(_match_case(new, t.text), t.glue)
                ops.append("noun_number")
        return toks

    # -- verbs --------------------------------------------------------------------------
    def _verb_form(self, toks, rate, ops):
        for i, t in enumerate(toks):
            w = t.low
            if w not in VERB_FORMS or not t.is_word or w in ("be", "been", "being", "do", "have"):
                continue
            prev = toks[i - 1].low if i else ""
            if prev in DETERMINERS:   # "a walk", "the run": probably a noun
                continue
            if not self._fire(rate):
                continue
            forms = set(VERB_FORMS[w]) - {w}
            if w in VERB_FORM_ERRORS and self.rng.random() < 0.5:
                forms = set(VERB_FORM_ERRORS[w])
            if w in ("is", "are", "am", "was", "were"):
                forms = {"be", "is", "are", "was", "were", "been"} - {w}
            if not forms:
                continue
            forms = sorted(forms)
            new = forms[self.rng.randrange(len(forms))]
            toks[i] = _Tok(_match_case(new, t.text), t.glue)
            ops.append("verb_form")
        return toks

    def _sva(self, toks, rate, ops):
        for i, t in enumerate(toks):
            w = t.low
            prev = toks[i - 1].low if i else ""
            new = None
            if w in SVA_SWAPS:
                if w in ("do", "have") and prev in MODALS:   # "to have", "did do"
                    continue
                new = SVA_SWAPS[w]   # ("am" -> "is": "I is")
            elif w in VERB_FORMS and w not in ("be", "been", "being"):
                base, third = VERB_FORMS[w][0], VERB_FORMS[w][1]
                if w == third and w != base and prev not in DETERMINERS:
                    new = base                             # he walks -> he walk
                elif (w == base and w != third and i > 0
                      and (prev in PRONOUN_NON3SG or prev in PRONOUN_3SG)
                      and prev not in MODALS):
                    new = third                            # they walk -> they walks
            if new is None or not self._fire(rate):
                continue
            toks[i] = _Tok(_match_case(new, t.text), t.glue)
            ops.append("sva")
        return toks

    # -- word order ---------------------------------------------------------------------
    def _word_order(self, toks, rate, ops):
        i = 1   # position 0 keeps its capital letter in place
        while i + 1 < len(toks):
            a, b = toks[i], toks[i + 1]
            if (a.is_word and b.is_word and not a.glue and not b.glue
                    and a.low != b.low and self._fire(rate)):
                toks[i], toks[i + 1] = _Tok(b.text, False), _Tok(a.text, False)
                ops.append("word_order")
                i += 2
                continue
            i += 1
        return toks

    # -- punctuation and case -------------------------------------------------------------
    def _comma_drop(self, toks, rate, ops):
        out = []
        for i, t in enumerate(toks):
            if t.text == "," and i > 0 and self._fire(rate):
                ops.append("comma_drop")
                if i + 1 < len(toks) and toks[i + 1].glue:
                    toks[i + 1].glue = False
                continue
            out.append(t)
        return out

    def _comma_ins(self, toks, rate, ops):
        out = []
        for i, t in enumerate(toks):
            out.append(t)
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if (t.is_word and nxt is not None and nxt.is_word and not nxt.glue
                    and self._fire(rate)):
                out.append(_Tok(",", True))
                ops.append("comma_ins")
        return out

    def _final_period(self, toks, rate, ops):
        if len(toks) > 1 and toks[-1].text in _SENT_END and self._fire(rate):
            ops.append("final_period")
            return toks[:-1]
        return toks

    def _casing(self, toks, rate, ops):
        for i, t in enumerate(toks):
            if not t.is_word:
                continue
            if t.text[:1].isupper():
                if self._fire(rate):
                    toks[i] = _Tok(t.text.lower(), t.glue)
                    ops.append("casing")
            elif i > 0 and t.text.islower() and self._fire(rate * 0.1):
                toks[i] = _Tok(capitalise(t.text), t.glue)
                ops.append("casing")
        return toks

    def _lowercase_line(self, toks, rate, ops):
        if any(t.text != t.text.lower() for t in toks) and self._fire(rate):
            ops.append("lowercase_line")
            return [_Tok(t.text.lower(), t.glue) for t in toks]
        return toks

    # -- spelling -----------------------------------------------------------------------
    def typo(self, word: str) -> str:
        """One typing slip in ``word``: keyboard neighbour, swap, drop or doubling."""
        n = len(word)
        kind = self.rng.randrange(4)
        if kind == 0:   # neighbouring key
            idx = [k for k, ch in enumerate(word) if ch.lower() in QWERTY_NEIGHBOURS]
            if idx:
                k = idx[self.rng.randrange(len(idx))]
                near = QWERTY_NEIGHBOURS[word[k].lower()]
                ch = near[self.rng.randrange(len(near))]
                ch = ch.upper() if word[k].isupper() else ch
                return word[:k] + ch + word[k + 1:]
            kind = 1
        if kind == 1:   # swap two adjacent letters (not the first one)
            cands = [k for k in range(1, n - 1) if word[k] != word[k + 1]]
            if cands:
                k = cands[self.rng.randrange(len(cands))]
                return word[:k] + word[k + 1] + word[k] + word[k + 2:]
            kind = 2
        if kind == 2:   # drop a letter (not the first one)
            k = 1 + self.rng.randrange(n - 1)
            return word[:k] + word[k + 1:]
        k = 1 + self.rng.randrange(n - 1)   # double a letter
        return word[:k] + word[k] + word[k:]

    def _spelling(self, toks, rate, ops):
        for i, t in enumerate(toks):
            if t.is_word and len(t.text) >= 3 and self._fire(rate):
                new = self.typo(t.text)
                if new != t.text:
                    toks[i] = _Tok(new, t.glue)
                    ops.append("spelling")
        return toks

    # fixed order: lexical edits first, typos last so the lexicon still matches
    _passes = (
        ("sva", _sva),
        ("verb_form", _verb_form),
        ("noun_number", _noun_number),
        ("article_sub", _article_sub),
        ("prep_sub", _prep_sub),
        ("article_del", _article_del),
        ("prep_del", _prep_del),
        ("article_ins", _article_ins),
        ("prep_ins", _prep_ins),
        ("word_order", _word_order),
        ("comma_drop", _comma_drop),
        ("comma_ins", _comma_ins),
        ("final_period", _final_period),
        ("casing", _casing),
        ("spelling", _spelling),
        ("lowercase_line", _lowercase_line),
    )


# ----------------------------------------------------------------------------- CLI

def _main(argv) -> int:
    p = argparse.ArgumentParser(
        prog="python -m preprocess.noise",
        description="Add seeded synthetic learner errors to clean English, one sentence a line.")
    p.add_argument("-i", "--input", default="-", help="clean text file (default stdin)")
    p.add_argument("-o", "--output", default="-", help="noisy output (default stdout)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rates", default=None,
                   help="key=value,... (or JSON); keys: " + ", ".join(ERROR_TYPES)
                        + "; 'all=0' first zeroes every rate")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the default rates")
    p.add_argument("--copies", type=int, default=1,
                   help="noisy copies of each line (written one after the other, copy-major)")
    p.add_argument("--print-rates", action="store_true", help="print the rates as JSON and exit")
    args = p.parse_args(argv)
    try:
        rates = parse_rates(args.rates, scale=args.scale)
    except (ValueError, OSError) as e:
        raise InputError(e) from None
    if args.print_rates:
        print(json.dumps(rates, indent=1))
        return 0
    try:
        src = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
        lines = [line.rstrip("\n") for line in src]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {args.input}: {e}") from None
    noiser = Noiser(rates, seed=args.seed)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    for _ in range(max(1, args.copies)):
        for line in lines:
            out.write(noiser.noise(line) + "\n")
    if out is not sys.stdout:
        out.close()
    return 0


def main(argv=None) -> int:
    return run_main(_main, argv, prog="noise")


if __name__ == "__main__":
    sys.exit(main())
