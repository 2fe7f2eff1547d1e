"""DDP looks for unused parameters when the model says it needs to.

The plugin's models can freeze their embeddings (pretrained vectors), which then get no
gradient; PyTorch's ``DistributedDataParallel`` waits for a gradient of every parameter
unless it is built with ``find_unused_parameters=True``, which fairseq passes only with
``--find-unused-parameters``. A model that sets ``ddp_find_unused_parameters`` gets it
turned on, and the log says so.
"""
import logging

from fairseq.models import distributed_fairseq_model

logger = logging.getLogger("fairseq_plugins.distributed")


def finding_unused_parameters(base):
    """A subclass of the DDP class ``base`` that honours ``ddp_find_unused_parameters``."""

    class PluginDDP(base):
        finds_unused_parameters_for_frozen_embeddings = True

        def __init__(self, module, *args, find_unused_parameters=False, **kwargs):
            if not find_unused_parameters and getattr(module, "ddp_find_unused_parameters",
                                                      False):
                find_unused_parameters = True
                logger.info("frozen embeddings get no gradient: DDP looks for unused "
                            "parameters (as --find-unused-parameters would)")
            super().__init__(module, *args, find_unused_parameters=find_unused_parameters,
                             **kwargs)

    return PluginDDP


def install():
    """Subclass the DDP class fairseq builds (after ``compat.ddp_cpu_module``'s)."""
    current = distributed_fairseq_model.DistributedDataParallel
    if not getattr(current, "finds_unused_parameters_for_frozen_embeddings", False):
        distributed_fairseq_model.DistributedDataParallel = finding_unused_parameters(current)
