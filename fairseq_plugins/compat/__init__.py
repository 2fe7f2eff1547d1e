"""Fixes of fairseq problems, one module per problem, each applied once.

Every module here describes one problem of the fairseq release the plugin is built on
(``fairseq-fixed`` 0.12.3.1) and fixes it:

- ``PROBLEM``: one line, what goes wrong without the fix;
- ``FAIRSEQ_VERSIONS``: ``(lowest, below)``, the fairseq versions it was written for
  (``lowest <= version < below``);
- ``TEST``: the test that fails without the fix;
- ``apply()``: installs the fix; safe to call again (it checks what is installed).

:func:`apply_all` applies every fix in :data:`FIXES` whose version range holds the
installed fairseq; outside it the fix is not applied and one warning line says so
(fairseq may have fixed the problem itself, or changed the code the fix replaces).
``docs/fairseq-fixes.md`` lists them all in a table.
"""
import importlib
import logging
import types
from typing import Tuple

logger = logging.getLogger(__name__)

#: the fixes :func:`apply_all` applies, in order (module names in this package)
FIXES = (
    "checkpoint_globals",
    "last_batch",
    "curriculum_shuffle",
    "replace_unk",
    "clean_exit",
    "numpy_compat_long",
    "one_line_errors",
    "arch_help",
    "data_folder_errors",
    "checkpoint_errors",
    "interactive_input",
    "distributed",
    "sharded_validation",
    "checkpoint_broadcast",
)

_applied = set()


def _version_tuple(version: str) -> Tuple[int, ...]:
    parts = []
    for piece in str(version).split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def fairseq_version() -> str:
    import fairseq

    return getattr(fairseq, "__version__", "0")


def in_range(version: str, versions: Tuple[str, str]) -> bool:
    """Whether ``lowest <= version < below`` for ``versions = (lowest, below)``."""
    lowest, below = versions
    v = _version_tuple(version)
    return _version_tuple(lowest) <= v < _version_tuple(below)


def apply_fix(module) -> bool:
    """Apply one fix (a module of this package, or its name) once; False if not applied."""
    if isinstance(module, str):
        module = importlib.import_module(f"{__name__}.{module}")
    assert isinstance(module, types.ModuleType)
    name = module.__name__.rsplit(".", 1)[-1]
    if name in _applied:
        return True
    version = fairseq_version()
    if not in_range(version, module.FAIRSEQ_VERSIONS):
        lowest, below = module.FAIRSEQ_VERSIONS
        logger.warning("fairseq_plugins: fix %r was written for fairseq >= %s, < %s; "
                       "fairseq is %s, so it is not applied (%s)",
                       name, lowest, below, version, module.PROBLEM)
        _applied.add(name)
        return False
    module.apply()
    _applied.add(name)
    return True


def apply_all():
    """Apply every fix of :data:`FIXES` (once per process)."""
    for name in FIXES:
        apply_fix(name)
