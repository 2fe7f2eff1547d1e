"""The old name of :mod:`preprocess.texttools.errors` (the same module object)."""
import sys

from preprocess.texttools import errors

sys.modules[__name__] = errors
