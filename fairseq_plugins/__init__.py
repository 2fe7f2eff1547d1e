"""fairseq plugin: RNN encoder-decoder models, the GEC task and their helpers.

Load it with ``--user-dir fairseq_plugins`` (any fairseq CLI) or ``import fairseq_plugins``.
Importing it first makes fairseq checkpoints loadable under PyTorch >= 2.6 (see
:mod:`fairseq_plugins.checkpoint_safety`), then registers the models and tasks.
"""
from fairseq_plugins.checkpoint_safety import allow_fairseq_checkpoint_globals

allow_fairseq_checkpoint_globals()

from fairseq_plugins import models, tasks  # noqa: E402,F401  (registration side effects)
