"""A data folder that is missing or empty, or a missing dictionary, is one line naming it.

Every fairseq CLI reads the data folder first: the translation task lists it to infer the
language pair (:func:`fairseq.data.data_utils.infer_language_pair`), and every task reads
its dictionaries with :meth:`fairseq.data.Dictionary.add_from_file` (behind
``Dictionary.load`` and ``task.load_dictionary``). A folder that is not there ends in a
``FileNotFoundError`` traceback from ``os.listdir``, an empty one in "Could not infer
language pair, please provide it explicitly" (naming no folder), a missing
``dict.de.txt`` in a traceback.

Both functions are wrapped, and the fix looks at the path only once fairseq has found
nothing there: a folder that does not exist or is empty, or a dictionary file that does
not exist, is raised as :class:`fairseq_plugins.errors.MissingFileError` (an
``InputError``, and still a ``FileNotFoundError``), which ``one_line_errors`` prints as
one line. What loads today loads as before; any other failure keeps fairseq's own error.
"""
import os
from typing import Optional

from fairseq.data import Dictionary, data_utils

from fairseq_plugins.errors import MissingFileError

PROBLEM = ("a missing or empty data folder, or a missing dict.<lang>.txt, ends in a "
           "FileNotFoundError traceback (or a message naming no folder)")
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = ("tests/integration/test_cli_errors.py::"
        "test_bad_data_folder_is_one_line_in_every_cli")

_original_infer_language_pair = data_utils.infer_language_pair
_original_add_from_file = Dictionary.add_from_file


def _local(path) -> bool:
    # remote paths (s3://, manifold://) are fairseq's PathManager's to report
    return isinstance(path, str) and "://" not in path


def folder_problem(folder: str) -> Optional[str]:
    """What is wrong with the data folder ``folder``: missing or empty; None if neither."""
    if not os.path.exists(folder):
        return f"data folder {folder} does not exist"
    if os.path.isdir(folder) and not os.listdir(folder):
        return f"data folder {folder} is empty"
    return None


def infer_language_pair(path):
    try:
        pair = _original_infer_language_pair(path)
    except FileNotFoundError:
        problem = folder_problem(path) if _local(path) else None
        if problem is None:
            raise
        raise MissingFileError(problem) from None
    # (None, None): fairseq then says "Could not infer language pair", naming no folder
    if tuple(pair) == (None, None) and _local(path):
        problem = folder_problem(path)
        if problem is not None:
            raise MissingFileError(problem)
    return pair


def add_from_file(self, f):
    try:
        return _original_add_from_file(self, f)
    except FileNotFoundError as error:
        if isinstance(error, MissingFileError) or not _local(f) or os.path.exists(f):
            raise
        # the folder's own problem says more than "no dict.de.txt" (-s/-t were given)
        problem = folder_problem(os.path.dirname(f) or ".")
        if problem is None:
            raise MissingFileError(f"dictionary {f} does not exist") from None
        raise MissingFileError(f"{problem} (no dictionary {f})") from None


def apply():
    data_utils.infer_language_pair = infer_language_pair
    Dictionary.add_from_file = add_from_file
