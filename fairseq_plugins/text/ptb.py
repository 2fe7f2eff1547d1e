"""The old name of :mod:`preprocess.texttools.ptb` (the same module object)."""
import sys

from preprocess.texttools import ptb

sys.modules[__name__] = ptb
