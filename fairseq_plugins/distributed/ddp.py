"""DDP looks for unused parameters when the model says it needs to.

The plugin's models can freeze their embeddings (pretrained vectors), which then get no
gradient; PyTorch's ``DistributedDataParallel`` waits for a gradient of every parameter
unless it is built with ``find_unused_parameters=True``, which fairseq passes only with
``--find-unused-parameters``. A model that sets ``ddp_find_unused_parameters`` gets it
turned on, and the log says so.

The class fairseq builds (``distributed_fairseq_model.DistributedDataParallel``) is replaced
by a subclass of whatever it is then, with :class:`FindsUnusedParameters` mixed in; the fix
:mod:`fairseq_plugins.compat.ddp_cpu_module` does the same with its own, so either can come
first.
"""
import logging

from fairseq.models import distributed_fairseq_model

logger = logging.getLogger("fairseq_plugins.distributed")


class FindsUnusedParameters:
    """Mixed into a DDP class: ``find_unused_parameters`` where the model asks for it."""

    def __init__(self, module, *args, find_unused_parameters=False, **kwargs):
        if not find_unused_parameters and getattr(module, "ddp_find_unused_parameters", False):
            find_unused_parameters = True
            logger.info("frozen embeddings get no gradient: DDP looks for unused "
                        "parameters (as --find-unused-parameters would)")
        super().__init__(module, *args, find_unused_parameters=find_unused_parameters,
                         **kwargs)


def finding_unused_parameters(base):
    """A subclass of the DDP class ``base`` that honours ``ddp_find_unused_parameters``."""
    if issubclass(base, FindsUnusedParameters):
        return base
    return type(f"Plugin{base.__name__}", (FindsUnusedParameters, base),
                {"__module__": __name__})


def install():
    """Subclass the DDP class fairseq builds (before or after ``compat.ddp_cpu_module``)."""
    current = distributed_fairseq_model.DistributedDataParallel
    distributed_fairseq_model.DistributedDataParallel = finding_unused_parameters(current)
