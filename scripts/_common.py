"""Small helpers shared by the command-line scripts in ``scripts/``.

The scripts are run as ``python scripts/NAME.py`` (so this directory is on ``sys.path``)
and are also imported by the tests; keeping the shared bits here avoids each script
re-implementing error handling and plugin loading slightly differently. The error
type and the text file reader are the plugin's (:mod:`preprocess.texttools`), the
one-line error wrapper is preprocess's own.
"""
import os
from pathlib import Path

# the one error type, text file reader and CLI wrapper, used by every script
from preprocess.texttools.errors import InputError
from preprocess.texttools.files import read_text
from preprocess.cli import EXIT_BAD_INPUT, die, run_main

REPO = Path(__file__).resolve().parents[1]
DEFAULT_USER_DIR = REPO / "fairseq_plugins"

__all__ = ["DEFAULT_USER_DIR", "EXIT_BAD_INPUT", "REPO", "InputError", "die",
           "import_fairseq_plugin", "read_text", "run_main", "use_agg_backend"]


def use_agg_backend():
    """Select matplotlib's Agg backend before pyplot is imported (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)


def import_fairseq_plugin(user_dir=None):
    """Import the plugin (or another ``--user-dir``) the way fairseq's CLIs do.

    This must happen before any checkpoint is loaded: importing ``fairseq_plugins``
    registers its models/tasks and allow-lists the globals fairseq checkpoints contain
    (argparse.Namespace, ...) for ``torch.load(weights_only=True)`` under PyTorch >= 2.6.
    """
    import sys
    from argparse import Namespace

    from fairseq import utils

    user_dir = os.path.abspath(str(user_dir or DEFAULT_USER_DIR))
    imported = sys.modules.get(os.path.basename(user_dir))
    if imported is not None and user_dir in list(getattr(imported, "__path__", [])):
        # the plugin is imported already (the scripts' error type is its own): fairseq
        # would only log that it was, a line more in a one-line error's stderr
        return user_dir
    utils.import_user_module(Namespace(user_dir=user_dir))
    return user_dir
