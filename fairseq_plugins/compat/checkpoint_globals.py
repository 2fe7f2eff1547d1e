"""fairseq checkpoints load under PyTorch >= 2.6 without turning ``weights_only`` off.

PyTorch 2.6 made ``torch.load`` default to ``weights_only=True``: only tensors,
containers, numbers and strings, plus globals explicitly allowed, may be unpickled.
fairseq 0.12 calls ``torch.load`` without that argument, and its checkpoints also pickle
a few ordinary Python and NumPy objects (the training arguments as an
``argparse.Namespace``, NumPy scalars among the saved metrics), so every
``fairseq-generate`` fails with "Unsupported global: argparse.Namespace".

The fix allows exactly those globals (``torch.serialization.add_safe_globals``) and
nothing else: a checkpoint that pickles any other callable (``os.system``, say) is still
refused by PyTorch's restricted unpickler. PyTorch < 2.6 does not default to
``weights_only=True``, so the fix is applied from 2.6 on only.
"""
import argparse

import numpy as np
import torch

PROBLEM = "PyTorch >= 2.6 refuses every fairseq checkpoint (Unsupported global: argparse.Namespace)"
# PyTorch >= 2.6: torch.load defaults to weights_only=True
VERSIONS = {"fairseq": (">=0.12.0", "<0.13"), "torch": (">=2.6",)}
TEST = ("tests/integration/test_cli.py::"
        "test_checkpoint_needs_the_plugin_and_refuses_other_globals")


def _numpy_globals():
    """NumPy scalars and plain arrays, as fairseq's saved meters and iterators hold them.

    A float64 is pickled as ``scalar(dtype, bytes)``, an array as ``_reconstruct(ndarray,
    ...)`` followed by its dtype and raw bytes; none of these can run arbitrary code. Arrays
    of dtype object would need further globals and stay refused.
    """
    multiarray = (getattr(np, "_core", None) or np.core).multiarray
    found = [multiarray.scalar, multiarray._reconstruct, np.ndarray, np.dtype]
    # NumPy >= 1.25 pickles dtypes as instances of per-type classes (Float64DType, ...)
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        for name in ("Float64DType", "Float32DType", "Float16DType", "Int64DType",
                     "Int32DType", "BoolDType"):
            if hasattr(dtypes, name):
                found.append(getattr(dtypes, name))
    return found


def fairseq_checkpoint_globals():
    """The globals a fairseq 0.12 checkpoint may legitimately contain."""
    return [argparse.Namespace] + _numpy_globals()


def apply():
    add = getattr(torch.serialization, "add_safe_globals", None)
    if add is not None:
        add(fairseq_checkpoint_globals())
