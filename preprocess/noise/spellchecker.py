"""The inverted spellchecker (Grundkiewicz, Junczys-Dowmunt and Heafield 2019).

A spellchecker offers, for a word, the dictionary words that look like it; inverted, it
turns a right word into one of them: ``their`` -> ``there``, ``walking`` -> ``talking``,
``article`` -> ``articles``. For each sentence (space-tokenised, e.g. PTB):

1. a word error rate is drawn from |N(``mean``, ``std``)| (0.15, 0.2 as in the paper);
2. each word (letters only) is chosen with that probability and then, with ``p_sub``
   (0.7), replaced by a random member of its confusion set
   (:meth:`preprocess.texttools.spelling.Speller.confusion_set`, symspellpy's English
   dictionary, in the word's case), or with 0.1 each deleted, preceded by an inserted
   frequent closed-class word (``the``, ``of``, ``to``, ...), or swapped with the next token;
3. then each letter of each word, with ``char_rate`` (0.01), is replaced by a random
   letter, deleted, doubled or swapped with the next one.

``share`` < 1 passes only that share of the sentences (one seeded draw each); the others
come back unchanged. Seeded: the same seed and sentences give the same output.
"""
from __future__ import annotations

import random
import string
from typing import List, Optional

from preprocess.texttools.spelling import Speller, match_case, speller

from .lexicon import FUNCTION_WORDS

FREQUENT = 500   # inserted words: the closed-class words among the dictionary's most frequent


class SpellcheckerNoiser:
    def __init__(self, seed: int = 0, share: float = 1.0, mean: float = 0.15,
                 std: float = 0.2, p_sub: float = 0.7, char_rate: float = 0.01,
                 checker: Optional[Speller] = None):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"spellchecker share must be in [0, 1], got {share}")
        if not 0.0 <= p_sub <= 1.0 or not 0.0 <= char_rate <= 1.0:
            raise ValueError("spellchecker probabilities must be in [0, 1]")
        self.rng = random.Random(seed)
        self.share, self.mean, self.std = share, mean, std
        self.p_sub, self.char_rate = p_sub, char_rate
        self.p_other = (1.0 - p_sub) / 3   # delete, insert, swap
        self.checker = checker or speller()
        self.frequent = [w for w in self.checker.frequent_words(FREQUENT) if w in FUNCTION_WORDS]

    def noise(self, sentence: str) -> str:
        rng = self.rng
        if self.share < 1.0 and rng.random() >= self.share:
            return sentence
        words = sentence.split()
        if not words:
            return sentence
        rate = min(1.0, abs(rng.gauss(self.mean, self.std)))
        out: List[str] = []
        i = 0
        while i < len(words):
            w = words[i]
            if not (w.isalpha() and rng.random() < rate):
                out.append(w)
                i += 1
                continue
            r = rng.random()
            if r < self.p_sub:                            # a word the spellchecker offers
                options = self.checker.confusion_set(w)
                out.append(match_case(options[rng.randrange(len(options))], w)
                           if options else w)
            elif r < self.p_sub + self.p_other:           # deleted
                pass
            elif r < self.p_sub + 2 * self.p_other:       # a word inserted before it
                out.extend((self.frequent[rng.randrange(len(self.frequent))], w))
            elif i + 1 < len(words):                      # swapped with the next token
                out.extend((words[i + 1], w))
                i += 1
            else:
                out.append(w)
            i += 1
        if self.char_rate > 0:
            out = [self._letters(w) if w.isalpha() else w for w in out]
        out = [w for w in out if w]
        return " ".join(out) if out != words else sentence

    def _letters(self, word: str) -> str:
        rng, chars, k = self.rng, list(word), 0
        while k < len(chars):
            if rng.random() >= self.char_rate:
                k += 1
                continue
            kind = rng.randrange(4)
            if kind == 0:
                chars[k] = rng.choice(string.ascii_lowercase)
            elif kind == 1 and len(chars) > 1:
                del chars[k]
                continue
            elif kind == 2:
                chars.insert(k, chars[k])
                k += 1
            elif k + 1 < len(chars):
                chars[k], chars[k + 1] = chars[k + 1], chars[k]
                k += 1
            k += 1
        return "".join(chars)
