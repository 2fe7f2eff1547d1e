"""The last batch of a pass is no longer silently dropped.

``fairseq.data.data_utils.batch_by_size`` ends with::

    if bsz_mult > 1 and len(b[-1]) % bsz_mult != 0:
        b = b[:-1]

so with the default ``--required-batch-size-multiple 8`` the final batch of every pass
is thrown away whenever its size is not a multiple of 8: ``fairseq-generate`` translates
and scores fewer sentences than it was given (the longest, batches being sorted by
length; ``docs/fairseq-fixes.md``), and validation and training lose up to 7 sentences
per pass the same way.

The batches are contiguous slices of ``indices`` in order, so the dropped sentences are
exactly the tail that the returned batches do not cover: they are put back as one final,
smaller batch. Nothing else about batching changes.
"""
import numpy as np
from fairseq.data import data_utils

PROBLEM = "batch_by_size drops a last batch whose size is not a multiple of 8"
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = "tests/integration/test_cli.py::test_last_batch_is_not_dropped"

_original = data_utils.batch_by_size


def batch_by_size_keeping_remainder(indices, num_tokens_fn, num_tokens_vec=None, max_tokens=None,
                                    max_sentences=None, required_batch_size_multiple=1,
                                    fixed_shapes=None):
    batches = _original(indices, num_tokens_fn, num_tokens_vec=num_tokens_vec,
                        max_tokens=max_tokens, max_sentences=max_sentences,
                        required_batch_size_multiple=required_batch_size_multiple,
                        fixed_shapes=fixed_shapes)
    if fixed_shapes is not None:
        return batches  # fixed shapes select batches on purpose
    indices = np.asarray(indices)
    covered = sum(len(b) for b in batches)
    if covered < len(indices):
        batches = list(batches) + [indices[covered:]]
    return batches


def apply():
    data_utils.batch_by_size = batch_by_size_keeping_remainder
