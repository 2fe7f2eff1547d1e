"""The old name of :mod:`preprocess.texttools.gleu` (the same module object)."""
import sys

from preprocess.texttools import gleu

sys.modules[__name__] = gleu
