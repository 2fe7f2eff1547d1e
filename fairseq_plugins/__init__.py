"""fairseq plugin: RNN encoder-decoder models, the GEC task and their helpers.

Load it with ``--user-dir fairseq_plugins`` (any fairseq CLI) or ``import fairseq_plugins``.
Importing it first applies the plugin's fixes of fairseq problems
(:mod:`fairseq_plugins.compat`, one module per problem, each applied only where the
fairseq, PyTorch, NumPy or Python versions that trigger it are installed: checkpoints
refused by PyTorch >= 2.6, a dropped last batch, unshuffled epochs after a curriculum, a
crashing ``--replace-unk``, an abort at exit, language modelling under NumPy 2,
tracebacks for bad input, a bad data folder or checkpoint ending in a traceback, a
data-parallel run that cannot start on CPUs, validate or resume), then installs the
plugin's additions to fairseq's CLIs (:data:`FEATURES`: ``--help`` with the model's
options, a fairseq-interactive that reports a bad input line and goes on, data-parallel
training on CPUs, ``--fast-decoding`` and the one ``build_generator`` hook, which also
gives fairseq-interactive ``--lm-path``, and ``--coverage-penalty``; the coverage loss
added to any criterion's), then registers the models, tasks and criterions.

The text tools the plugin shares with data preparation (normalisation, PTB
tokenisation, GLEU statistics, the error type, the UTF-8 text reader) are
:mod:`preprocess.texttools`, a package of ``preprocess`` whose import loads neither fairseq
nor torch (``fairseq_plugins.text`` is its old name, kept as an alias).
"""
import importlib
import logging as _logging

_handlers_before = list(_logging.root.handlers)
_level_before = _logging.root.level
import fairseq  # noqa: E402,F401

#: the root logger's handlers and level before importing fairseq (some of its modules call
#: ``logging.basicConfig(level=DEBUG)`` when imported); the Python API restores them
#: (:mod:`fairseq_plugins.api`). Empty when fairseq was imported before the plugin.
FAIRSEQ_ROOT_HANDLERS = [h for h in _logging.root.handlers if h not in _handlers_before]
ROOT_LEVEL_BEFORE_FAIRSEQ = _level_before
del _handlers_before, _level_before

from fairseq_plugins import compat  # noqa: E402

#: the plugin's additions to fairseq's CLIs, installed in this order after the fixes
#: (each module's ``install()``, safe to call again)
FEATURES = ("fairseq_plugins.help", "fairseq_plugins.shell", "fairseq_plugins.distributed",
            "fairseq_plugins.decoding", "fairseq_plugins.criterions.coverage_loss")

compat.apply_all()
for _feature in FEATURES:
    _module = importlib.import_module(_feature)
    compat.warn_outside(_module, f"{_feature} replaces {', '.join(_module.REPLACES)}")
    _module.install()
del _feature, _module

from fairseq_plugins import criterions, models, tasks  # noqa: E402,F401  (registration side effects)
