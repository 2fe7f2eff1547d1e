"""Fixes of fairseq problems, one module per problem, each applied once and only where needed.

Every module here describes one problem of the fairseq release the plugin is built on
(``fairseq-fixed`` 0.12.3.1), alone or together with a newer PyTorch, NumPy or Python, and
fixes it:

- ``PROBLEM``: one line, what goes wrong without the fix;
- ``VERSIONS``: the versions of every package that triggers the problem, as
  :class:`packaging.specifiers.SpecifierSet` strings, e.g.
  ``{"fairseq": (">=0.12.0", "<0.13"), "torch": (">=2.6",)}``: always ``fairseq`` (the
  versions whose code the fix was written for), and ``torch``, ``numpy`` or ``python``
  where the problem needs that package's versions too;
- ``TEST``: the test that fails without the fix;
- ``apply()``: installs the fix; safe to call again (it checks what is installed).

:func:`apply_all` applies every fix in :data:`FIXES` whose versions all hold. A fix whose
other package (torch, numpy, python) is outside its versions is not needed: it is not
applied, and says so at debug level only. A fix whose fairseq is outside its versions is
not applied either, and one warning line says so (fairseq may have fixed the problem
itself, or changed the code the fix replaces). ``docs/fairseq-fixes.md`` lists them all in a table.

The plugin's own additions to fairseq's CLIs are not here: ``fairseq_plugins.FEATURES``
installs them after these fixes.
"""
import importlib
import logging
import platform
import types
from typing import Dict, Optional, Tuple

from packaging.specifiers import SpecifierSet

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
    "data_folder_errors",
    "checkpoint_errors",
    "ddp_cpu_module",
    "gather_without_cuda",
    "sharded_validation",
    "checkpoint_broadcast",
)

#: the packages a fix may name in its ``VERSIONS``
PACKAGES = ("fairseq", "torch", "numpy", "python")

# name -> whether it was applied: each fix is looked at once per process
_applied: Dict[str, bool] = {}


def package_version(package: str) -> str:
    """The running version of ``package`` (one of :data:`PACKAGES`)."""
    if package == "python":
        return platform.python_version()
    if package not in PACKAGES:
        raise ValueError(f"no version known for {package!r}: one of {', '.join(PACKAGES)}")
    module = importlib.import_module(package)
    return str(getattr(module, "__version__", "0"))


def fairseq_version() -> str:
    return package_version("fairseq")


def versions(module) -> Dict[str, Tuple[str, ...]]:
    """The fix's ``VERSIONS``: package -> specifiers."""
    return dict(module.VERSIONS)


def holds(version: str, specifiers: Tuple[str, ...]) -> bool:
    """Whether ``version`` satisfies every specifier (pre-releases and local builds count:
    a torch 2.7.0a0+git... nightly is a torch >= 2.6)."""
    return SpecifierSet(",".join(specifiers)).contains(version, prereleases=True)


def _outside(module) -> Tuple[Optional[str], str]:
    """(the first package whose version is outside the fix's, triggers before fairseq;
    that version), or (None, "") when all hold."""
    stated = versions(module)
    for package in sorted(stated, key=lambda p: p == "fairseq"):
        version = package_version(package)
        if not holds(version, stated[package]):
            return package, version
    return None, ""


def apply_fix(module) -> bool:
    """Apply one fix (a module of this package, or its name) once; whether it is applied."""
    if isinstance(module, str):
        module = importlib.import_module(f"{__name__}.{module}")
    assert isinstance(module, types.ModuleType)
    name = module.__name__.rsplit(".", 1)[-1]
    if name in _applied:
        return _applied[name]
    package, version = _outside(module)
    stated = versions(module)
    if package is None:
        module.apply()
    elif package == "fairseq":
        logger.warning("fairseq_plugins: fix %r was written for fairseq %s; fairseq is %s, "
                       "so it is not applied (%s)", name, ",".join(stated["fairseq"]),
                       version, module.PROBLEM)
    else:
        logger.debug("fairseq_plugins: fix %r is not needed: %s is %s, the problem needs %s",
                     name, package, version, ",".join(stated[package]))
    _applied[name] = package is None
    return _applied[name]


def warn_outside(module, what: str) -> bool:
    """One warning line when fairseq is outside a feature's ``VERSIONS`` (its replacements of
    fairseq's globals were written for those); whether the versions hold. The feature is
    installed either way: the plugin's options need it."""
    stated = versions(module)
    version = fairseq_version()
    if holds(version, stated["fairseq"]):
        return True
    logger.warning("fairseq_plugins: %s, written for fairseq %s; fairseq is %s", what,
                   ",".join(stated["fairseq"]), version)
    return False


def apply_all():
    """Apply every fix of :data:`FIXES` (once per process)."""
    for name in FIXES:
        apply_fix(name)
