"""Model registrations: importing this module registers them with fairseq."""
from fairseq_plugins.models import rnn_seq2seq  # noqa: F401
