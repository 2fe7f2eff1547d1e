"""Language models train under NumPy 2.

fairseq 0.12's ``TokenBlockDataset`` (``--task language_modeling``) and
``LanguagePairDataset``'s length buckets ask for ``np.compat.long``, which NumPy 2
removed ("module 'numpy' has no attribute 'compat'"). The fix gives NumPy back that one
name, as NumPy 1 defined it (Python's ``int``), and only where it is missing.
"""
import types

import numpy as np

PROBLEM = "TokenBlockDataset asks for np.compat.long, which NumPy 2 removed"
# NumPy >= 2 has no np.compat
VERSIONS = {"fairseq": (">=0.12.0", "<0.13"), "numpy": (">=2",)}
TEST = "tests/unit/test_compat.py::test_token_block_dataset_builds_under_numpy_2"


def apply():
    if not hasattr(np, "compat"):
        np.compat = types.SimpleNamespace(long=int)
