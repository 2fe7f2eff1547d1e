"""Errors in what the user asked for (model options, word-vector files, an LM, data and
checkpoint files): one line each.

:class:`ModelOptionError` is the project's one error type,
:class:`preprocess.texttools.errors.InputError`, made fit for fairseq's two kinds of CLI: it
is a ``ValueError`` (code that builds models itself can catch it as one) and hydra's
``CompactHydraException``, which ``fairseq-hydra-train`` prints as the message alone.
For the argparse CLIs (``fairseq-train``, ``fairseq-generate``, ...) the plugin prints
``<program>: error: <message>`` instead of the traceback when any ``InputError`` reaches
the top (:mod:`fairseq_plugins.compat.one_line_errors`). :class:`MissingFileError` and
:class:`CheckpointError` are raised by the fixes that report bad data folders and
checkpoints (:mod:`fairseq_plugins.compat.data_folder_errors`,
:mod:`fairseq_plugins.compat.checkpoint_errors`).
"""
from hydra.errors import CompactHydraException

from preprocess.texttools.errors import InputError


class ModelOptionError(InputError, ValueError, CompactHydraException):
    """A model option or a combination of options that cannot work; says which and why."""


class MissingFileError(InputError, FileNotFoundError, CompactHydraException):
    """A data folder, dictionary or checkpoint the user named is not there; says which.

    Still a ``FileNotFoundError``, which is what fairseq raised for it, so code that
    catches that goes on working."""


class CheckpointError(InputError, CompactHydraException):
    """A checkpoint file fairseq cannot use: empty, cut off, not a checkpoint at all, or
    made for a model nobody registered; says which file and what is wrong."""


class DistributedError(InputError, CompactHydraException):
    """A distributed run that cannot be started as asked (world size, backend, port), or
    whose ranks could not join or went out of sync; says which and what to do."""
