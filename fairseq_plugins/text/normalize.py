"""The old name of :mod:`preprocess.texttools.normalize` (the same module object)."""
import sys

from preprocess.texttools import normalize

sys.modules[__name__] = normalize
