"""The command-line wrapper every CLI of ``preprocess/`` and ``scripts/`` runs its main in.

Bad input is one line on stderr, ``error: <message>``, with exit status 2
(:data:`EXIT_BAD_INPUT`), distinct from 1 (an unexpected crash, which keeps its
traceback) so that callers and tests can tell them apart. A reader that stops reading
our output (``| head -1``) ends the program quietly with status 1, not a traceback.
"""
import os
import sys

from preprocess.texttools.errors import InputError

#: Exit status for bad input (malformed files, mismatched lengths, missing keys).
EXIT_BAD_INPUT = 2


def die(message, code=EXIT_BAD_INPUT, prog=None):
    """Print a one-line error to stderr and exit: tracebacks are for bugs, not bad input."""
    one_line = " ".join(str(message).split())
    prefix = f"{prog}: error" if prog else "error"
    print(f"{prefix}: {one_line}", file=sys.stderr)
    sys.exit(code)


def run_main(main, argv=None, prog=None):
    """Run ``main(argv)`` and return its exit status; :class:`InputError` and
    ``OSError`` (disk full, permission denied, ...) become one line and exit 2."""
    try:
        status = main(argv)
        sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
        return status
    except BrokenPipeError:
        # Python's own advice: point stdout at devnull so the exit-time flush cannot raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (InputError, OSError) as err:
        die(err, prog=prog)
