"""A checkpoint that is missing, cut off, not a checkpoint, or for an unknown model: one line.

Every CLI reads checkpoints through :func:`fairseq.checkpoint_utils.load_checkpoint_to_cpu`
(``fairseq-generate`` and ``fairseq-interactive`` through ``load_model_ensemble_and_task``,
``fairseq-train --restore-file`` through ``load_checkpoint`` and the trainer). A truncated
file ends in "PytorchStreamReader failed reading zip archive" under a traceback, a text
file or random bytes in a ``KeyError`` or ``UnpicklingError`` from PyTorch's unpickler, a
missing one in ``OSError: Model file not found``, and a checkpoint whose model
(``cfg.model._name``, ``args.arch``) nobody registered in a ``KeyError: "'_name'"`` from
fairseq's own assertion message. ``fairseq-train --restore-file FILE`` with no FILE trains
from scratch, saying so in one log line.

The fix wraps those three functions, all looked up in ``checkpoint_utils`` at call time:

- ``load_checkpoint_to_cpu``: when loading fails, it examines the file. A missing or
  empty file, one that is neither a zip archive (PyTorch's format) nor a legacy pickled
  checkpoint, a zip archive cut off (no central directory), failing its CRC check or
  without ``data.pkl``, and a legacy checkpoint that ends early are reported by name.
  A sound file that fails to load (a checkpoint that pickles ``os.system``, say) keeps its
  error and traceback.
- ``load_model_ensemble_and_task``: every file it would open must exist, and the model of
  each checkpoint it builds models from must be registered, checked as the file is read.
- ``load_checkpoint``: a ``--restore-file`` that does not exist is an error, unless it is
  in ``--save-dir``, where a first run has not written it yet.

Errors are :class:`fairseq_plugins.errors.CheckpointError` or ``MissingFileError``, which
``one_line_errors`` prints as one line.
"""
import os
import threading
import zipfile
from typing import Optional

import torch
from fairseq import checkpoint_utils
from fairseq.file_io import PathManager
from fairseq.models import ARCH_MODEL_REGISTRY, MODEL_DATACLASS_REGISTRY

from fairseq_plugins.errors import CheckpointError, MissingFileError

PROBLEM = ("a missing, truncated or non-checkpoint file, or a checkpoint of an unregistered "
           "model, ends in a traceback (PytorchStreamReader failed reading zip archive)")
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = ("tests/integration/test_cli_errors.py::"
        "test_bad_checkpoint_is_one_line_in_generate_and_interactive")

_original_load_checkpoint_to_cpu = checkpoint_utils.load_checkpoint_to_cpu
_original_load_model_ensemble_and_task = checkpoint_utils.load_model_ensemble_and_task
_original_load_checkpoint = checkpoint_utils.load_checkpoint

#: the magic number a legacy (pre-zip) torch.save pickles first, as its 10 bytes
_LEGACY_MAGIC = torch.serialization.MAGIC_NUMBER.to_bytes(10, "little")
_ZIP_MAGIC = b"PK\x03\x04"

# the files load_model_ensemble_and_task is building models from, in this thread
_building = threading.local()


def _zip_problem(path: str) -> Optional[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except zipfile.BadZipFile:   # the central directory sits at the end: the file is cut off
        return "is truncated (its zip archive has no end); copy or save it again"
    if bad is not None:
        return f"is corrupted ({bad} fails its CRC check)"
    if not any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        return "is a zip archive but not a PyTorch checkpoint (no data.pkl)"
    return None


def _content_problem(path: str, error: BaseException) -> Optional[str]:
    if os.path.getsize(path) == 0:
        return "is empty (0 bytes)"
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(_ZIP_MAGIC):
        return _zip_problem(path)
    if _LEGACY_MAGIC in head:   # a pre-1.6 torch.save: pickles, then the tensors' bytes
        # cut in a pickle: EOFError; cut in the tensors: "unexpected EOF, expected N more bytes"
        if isinstance(error, EOFError) or "unexpected EOF" in str(error):
            return "is truncated (it ends early); copy or save it again"
        return None
    return "is not a PyTorch checkpoint (neither a zip archive nor a pickle)"


def file_error(path, error: BaseException) -> Optional[Exception]:
    """What is wrong with the checkpoint ``path``, which failed to load with ``error``, as
    the error to raise; None when the file itself looks sound (the error is not the file's)."""
    if not isinstance(path, str) or "://" in path:   # remote: left to fairseq's PathManager
        return None
    if not os.path.exists(path):
        return MissingFileError(f"checkpoint {path} does not exist")
    problem = _content_problem(path, error) if os.path.isfile(path) else None
    return CheckpointError(f"checkpoint {path} {problem}") if problem else None


def model_name(state) -> Optional[str]:
    """The model a checkpoint builds, found where ``fairseq.models.build_model`` looks."""
    if state.get("args") is not None:
        return getattr(state["args"], "arch", None)
    cfg = state.get("cfg")
    model = cfg.get("model") if cfg is not None else None
    if model is None:
        return None
    return getattr(model, "_name", None) or getattr(model, "arch", None)


def _check_model_registered(path: str, state):
    name = model_name(state)
    if name is not None and name not in ARCH_MODEL_REGISTRY \
            and name not in MODEL_DATACLASS_REGISTRY:
        raise CheckpointError(f"checkpoint {path} is for model {name!r}, which neither fairseq "
                              f"nor a loaded --user-dir registers")


def load_checkpoint_to_cpu(path, *args, **kwargs):
    try:
        state = _original_load_checkpoint_to_cpu(path, *args, **kwargs)
    except Exception as error:
        reported = file_error(path, error)
        if reported is None:
            raise
        raise reported from error
    if path in getattr(_building, "files", ()):
        _check_model_registered(path, state)
    return state


def load_model_ensemble_and_task(filenames, arg_overrides=None, task=None, strict=True,
                                 suffix="", num_shards=1, state=None):
    files = [checkpoint_utils.get_maybe_sharded_checkpoint_filename(f, suffix, i, num_shards)
             for f in filenames for i in range(num_shards)]
    for path in files:   # the files fairseq opens, as it names them
        if not PathManager.exists(path):
            raise MissingFileError(f"checkpoint {path} does not exist")
    # only these files: a checkpoint a model reads a pretrained part from may be any model's
    previous = getattr(_building, "files", ())
    _building.files = (*previous, *files)
    try:
        return _original_load_model_ensemble_and_task(filenames, arg_overrides, task, strict,
                                                      suffix, num_shards, state)
    finally:
        _building.files = previous


def load_checkpoint(cfg, trainer, **passthrough_args):
    if cfg.restore_file != "checkpoint_last.pt":   # fairseq's default: save_dir's last one
        suffix = trainer.checkpoint_suffix
        path = cfg.restore_file if suffix is None else cfg.restore_file.replace(
            ".pt", suffix + ".pt")
        in_save_dir = os.path.abspath(os.path.dirname(path)) == os.path.abspath(cfg.save_dir)
        if not PathManager.exists(path) and not in_save_dir:
            raise MissingFileError(f"checkpoint {path} does not exist (--restore-file)")
    return _original_load_checkpoint(cfg, trainer, **passthrough_args)


def apply():
    checkpoint_utils.load_checkpoint_to_cpu = load_checkpoint_to_cpu
    checkpoint_utils.load_model_ensemble_and_task = load_model_ensemble_and_task
    checkpoint_utils.load_checkpoint = load_checkpoint
