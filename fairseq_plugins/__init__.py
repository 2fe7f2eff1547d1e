"""fairseq plugin: RNN encoder-decoder models, the GEC task and their helpers.

Load it with ``--user-dir fairseq_plugins`` (any fairseq CLI) or ``import fairseq_plugins``.
Importing it first applies the plugin's fixes of fairseq problems
(:mod:`fairseq_plugins.compat`, one module per problem, each guarded by the fairseq
versions it was written for: checkpoints refused by PyTorch >= 2.6, a dropped last
batch, a crashing ``--replace-unk``, an abort at exit, language modelling under NumPy 2,
``--lm-path`` ignored by fairseq-interactive, tracebacks for bad input, ``--help``
without the model's options, a fairseq-interactive that dies on a bad input line, a bad
data folder or checkpoint ending in a traceback), then registers the models, tasks and
criterions.

The text tools the plugin shares with data preparation (normalisation, PTB
tokenisation, GLEU statistics, the error type, the UTF-8 text reader) are
:mod:`fairseq_plugins.text`; ``preprocess`` imports them from there.
"""
from fairseq_plugins import compat

compat.apply_all()

from fairseq_plugins import criterions, models, tasks  # noqa: E402,F401  (registration side effects)
