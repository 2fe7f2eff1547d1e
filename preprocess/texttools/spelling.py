"""English spelling from a well-kept library: a corrector for out-of-dictionary words, and
the confusion sets of the inverted spellchecker (:mod:`preprocess.noise.spellchecker`).

Both read ``symspellpy``'s shipped English frequency dictionary (82,765 words with their
counts; symmetric-delete lookup, Damerau edit distance up to 2). ``symspellpy`` is an
optional extra: :func:`available` says whether it is installed, and :func:`speller`
raises :class:`InputError` in one line where it is not.

*Correcting* (:meth:`Speller.correct`): each word of three or more letters, standing alone
(not glued to a digit or an apostrophe: PTB's ``n't`` and ``'s`` stay), written in lower
case or with only its first letter capitalised (``iPod``, ``NASA`` stay), and not in the
dictionary, becomes the dictionary's closest word (the most frequent at the least
distance), in the word's case; a word with no suggestion within distance 2 stays. Words
in the dictionary are never touched, nor is anything between the words::

    >>> speller().correct("I like grammer and Acticles .")       # doctest: +SKIP
    'I like grammar and Articles .'

*Confusing* (:meth:`Speller.confusion_set`): the dictionary's words within distance 2
of a word, closest and most frequent first, at most ``size`` of them, the word itself
left out: what a spellchecker would offer for it. Sets are memoised and, with
:meth:`Speller.save_cache`, written to a cache folder (``SEQ2SEQ_CACHE_DIR``, default
``~/.cache/seq2seq-plugins``, outside the repository), so a corpus is looked up once.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from preprocess.texttools.errors import InputError

DICTIONARY = "frequency_dictionary_en_82_765.txt"
MAX_DISTANCE = 2
MIN_LETTERS = 3
CONFUSION_SIZE = 20
# a run of letters not glued to a word character or an apostrophe on either side
_WORD = re.compile(r"(?<![\w'’])[A-Za-z]+(?![\w'’])")

_SPELLERS: Dict[str, "Speller"] = {}


def available() -> bool:
    try:
        import symspellpy  # noqa: F401
    except ImportError:
        return False
    return True


def cache_dir() -> Path:
    return Path(os.environ.get("SEQ2SEQ_CACHE_DIR")
                or Path.home() / ".cache" / "seq2seq-plugins") / "spelling"


def speller() -> "Speller":
    """The process's one :class:`Speller` (the dictionary takes seconds to load)."""
    if "en" not in _SPELLERS:
        _SPELLERS["en"] = Speller()
    return _SPELLERS["en"]


def match_case(new: str, old: str) -> str:
    if old.isupper() and len(old) > 1:
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


class Speller:
    """symspellpy's English dictionary, as a corrector and a source of confusion sets."""

    def __init__(self):
        try:
            from importlib.resources import files

            from symspellpy import SymSpell, Verbosity
        except ImportError:
            raise InputError("the spelling step needs symspellpy: pip install symspellpy") \
                from None
        self._verbosity = Verbosity
        self.sym = SymSpell(max_dictionary_edit_distance=MAX_DISTANCE)
        path = files("symspellpy") / DICTIONARY
        if not self.sym.load_dictionary(str(path), term_index=0, count_index=1):
            raise InputError(f"symspellpy's dictionary {path} could not be read")
        self.words = self.sym.words            # word -> corpus count
        self._fixes: Dict[str, Optional[str]] = {}
        self._sets: Dict[str, Tuple[str, ...]] = {}
        self._cache_file = cache_dir() / f"confusion-{DICTIONARY}-d{MAX_DISTANCE}.json"
        self._cache_size = 0
        if self._cache_file.is_file():
            with open(self._cache_file, encoding="utf-8") as f:
                self._sets = {w: tuple(s) for w, s in json.load(f).items()}
            self._cache_size = len(self._sets)

    # -- correcting ---------------------------------------------------------------------
    def known(self, word: str) -> bool:
        return word.lower() in self.words

    def fix(self, word: str) -> Optional[str]:
        """The dictionary's closest word for an unknown lowercase ``word``, or None."""
        if word not in self._fixes:
            found = self.sym.lookup(word, self._verbosity.CLOSEST, MAX_DISTANCE)
            self._fixes[word] = found[0].term if found else None
        return self._fixes[word]

    def correct_word(self, word: str) -> str:
        if len(word) < MIN_LETTERS or word[1:] != word[1:].lower() or self.known(word):
            return word
        fixed = self.fix(word.lower())
        return word if fixed is None else match_case(fixed, word)

    def correct(self, line: str) -> str:
        """``line`` with its out-of-dictionary words corrected (see the module docstring)."""
        return _WORD.sub(lambda m: self.correct_word(m.group()), line)

    # -- confusing ----------------------------------------------------------------------
    def confusion_set(self, word: str, size: int = CONFUSION_SIZE) -> Tuple[str, ...]:
        """What a spellchecker would suggest for ``word`` (lowercase), itself left out."""
        word = word.lower()
        if word not in self._sets:
            found = self.sym.lookup(word, self._verbosity.ALL, MAX_DISTANCE)
            self._sets[word] = tuple(s.term for s in found if s.term != word)[:CONFUSION_SIZE]
        return self._sets[word][:size]

    def frequent_words(self, n: int) -> List[str]:
        """The ``n`` most frequent dictionary words (for inserted words)."""
        return [w for w, _ in sorted(self.words.items(), key=lambda kv: -kv[1])[:n]]

    def save_cache(self) -> Optional[Path]:
        """Write the confusion sets looked up so far (when there are new ones)."""
        if len(self._sets) == self._cache_size:
            return None
        self._cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._cache_file.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({w: list(s) for w, s in self._sets.items()}, f)
        os.replace(tmp, self._cache_file)
        self._cache_size = len(self._sets)
        return self._cache_file
