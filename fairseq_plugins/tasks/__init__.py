"""Task registrations: importing this module registers them with fairseq."""
from fairseq_plugins.tasks import gec  # noqa: F401  (registers --task gec)
