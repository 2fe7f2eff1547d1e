"""Criterion registrations: importing this module registers them with fairseq."""
from fairseq_plugins.criterions import edit_weighted  # noqa: F401  (--criterion edit_weighted_...)
