"""Bad input ends in one line, not a traceback of fairseq's frames.

fairseq builds the model (and the plugin reads the user's files) deep inside its
training loop, so a bad option or file would otherwise end in a traceback through
fairseq's frames. The hook installed here prints ``<program>: error: <message>`` instead
when a :class:`preprocess.texttools.errors.InputError` (every ``ModelOptionError`` among them)
reaches the top of an argparse CLI (exit status 1). Every other exception keeps its
traceback.
"""
import os
import sys

from preprocess.texttools.errors import InputError

PROBLEM = "an error in the user's options or files ends in a traceback of fairseq's frames"
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = ("tests/integration/test_cli.py::"
        "test_bad_model_options_end_in_one_line_not_a_traceback")


def _one_line(exc_type, exc, tb, previous):
    if issubclass(exc_type, InputError):
        prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "fairseq"
        print(f"{prog}: error: {' '.join(str(exc).split())}", file=sys.stderr)
    else:
        previous(exc_type, exc, tb)


def apply():
    previous = sys.excepthook
    if getattr(previous, "one_line_input_errors", False):
        return

    def hook(exc_type, exc, tb):
        _one_line(exc_type, exc, tb, previous)

    hook.one_line_input_errors = True
    sys.excepthook = hook
