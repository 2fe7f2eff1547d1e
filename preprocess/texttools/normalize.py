"""Normalisation of one line of text, the same in data preparation and at run time.

Why each step:

- NFKC folds compatibility variants (full-width letters, ligatures, narrow no-break
  spaces as in French ``Cours !``) into one form, so the same word is not split over
  several vocabulary entries.
- Control characters become spaces and invisible format characters (zero-width space,
  BOM, soft hyphen, bidi marks) are dropped; all whitespace runs collapse to one ASCII
  space. fairseq splits lines on whitespace, so stray tabs or U+2028 would otherwise
  change token counts between tools.
"""
import re
import unicodedata

#: Invisible format characters removed outright (they sit inside words).
_INVISIBLE = re.compile("[\u00ad\u200b\u200e\u200f\u2060\ufeff]")
#: C0/C1 control characters, replaced by a space (tabs and newlines included).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def normalize(line, lowercase=False):
    """NFKC-normalise ``line``, drop invisible/control characters, collapse whitespace.

    The result has no leading, trailing or repeated whitespace; ``lowercase=True``
    additionally lower-cases it (after normalisation, so e.g. full-width capitals fold too).
    """
    line = unicodedata.normalize("NFKC", line)
    line = _INVISIBLE.sub("", line)
    line = _CONTROL.sub(" ", line)
    line = " ".join(line.split())
    return line.lower() if lowercase else line
