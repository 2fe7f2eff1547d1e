"""fairseq plugin: RNN encoder-decoder models, the GEC task and their helpers.

Load it with ``--user-dir fairseq_plugins`` (any fairseq CLI) or ``import fairseq_plugins``.
Importing it first makes fairseq checkpoints loadable under PyTorch >= 2.6 (see
:mod:`fairseq_plugins.checkpoint_safety`) and fixes fairseq 0.12 bugs (a dropped last
batch, a crashing ``--replace-unk``, an abort at exit, language modelling under NumPy 2,
``--lm-path`` ignored by fairseq-interactive: :mod:`fairseq_plugins.fairseq_fixes`), then
registers the models, tasks and criterions.
"""
from fairseq_plugins import fairseq_fixes
from fairseq_plugins.checkpoint_safety import allow_fairseq_checkpoint_globals
from fairseq_plugins.errors import install_excepthook

allow_fairseq_checkpoint_globals()
fairseq_fixes.apply()
install_excepthook()   # a bad model option: one line, not fairseq's traceback

from fairseq_plugins import criterions, models, tasks  # noqa: E402,F401  (registration side effects)
