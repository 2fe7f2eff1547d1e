"""Errors in what the user asked for (model options, word-vector files): one line each.

fairseq builds the model deep inside its training loop, so a bad option would otherwise
end in a traceback of fairseq's frames. :class:`ModelOptionError` is a ``ValueError``
(code that builds models itself can catch it as one) and hydra's
``CompactHydraException``, which ``fairseq-hydra-train`` prints as the message alone;
for the argparse CLIs (``fairseq-train``, ``fairseq-generate``, ...) the hook installed by
:func:`install_excepthook` prints ``<program>: error: <message>`` instead of the
traceback when such an error reaches the top (exit status 1). Every other exception
keeps its traceback.
"""
import os
import sys

from hydra.errors import CompactHydraException


class ModelOptionError(ValueError, CompactHydraException):
    """A model option or a combination of options that cannot work; says which and why."""


def _one_line(exc_type, exc, tb, previous):
    if issubclass(exc_type, ModelOptionError):
        prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "fairseq"
        print(f"{prog}: error: {' '.join(str(exc).split())}", file=sys.stderr)
    else:
        previous(exc_type, exc, tb)


def install_excepthook():
    """Report uncaught :class:`ModelOptionError` in one line (once per process)."""
    previous = sys.excepthook
    if getattr(previous, "model_option_errors", False):
        return

    def hook(exc_type, exc, tb):
        _one_line(exc_type, exc, tb, previous)

    hook.model_option_errors = True
    sys.excepthook = hook
