"""The old name of :mod:`preprocess.texttools.files` (the same module object)."""
import sys

from preprocess.texttools import files

sys.modules[__name__] = files
