"""Small helpers shared by the command-line scripts in ``scripts/``.

The scripts are run as ``python scripts/NAME.py`` (so this directory is on ``sys.path``)
and are also imported by the tests; keeping the shared bits here avoids each script
re-implementing error handling and plugin loading slightly differently.
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_USER_DIR = REPO / "fairseq_plugins"

#: Exit status for bad input (malformed files, mismatched lengths, missing keys).
#: Distinct from 1 (unexpected crash) so callers and tests can tell them apart.
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Raised for problems with the user's input; reported as one line, exit 2."""


def die(message, code=EXIT_BAD_INPUT):
    """Print a one-line error to stderr and exit: tracebacks are for bugs, not bad input."""
    one_line = " ".join(str(message).split())
    print(f"error: {one_line}", file=sys.stderr)
    sys.exit(code)


def read_text(path, what):
    """Lines of a UTF-8 text file without their newline; a missing, unreadable or non-UTF-8
    file is an :class:`InputError` naming ``what`` it was (e.g. "reference file")."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} not found")
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f]
    except UnicodeDecodeError as e:
        raise InputError(f"{what} {path} is not valid UTF-8 ({e.reason} at byte {e.start})") \
            from None
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror}") from None


def run_main(main, argv=None):
    """Run ``main(argv)``, turning :class:`InputError` into a one-line exit 2, and a reader
    that stopped reading our output (``| head -1``) into a quiet exit 1, not a traceback."""
    try:
        status = main(argv)
        sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
        return status
    except InputError as err:
        die(err)
    except BrokenPipeError:
        # Python's own advice: point stdout at devnull so the exit-time flush cannot raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


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
    from argparse import Namespace

    from fairseq import utils

    user_dir = os.path.abspath(str(user_dir or DEFAULT_USER_DIR))
    utils.import_user_module(Namespace(user_dir=user_dir))
    return user_dir
