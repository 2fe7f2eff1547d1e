"""Data-parallel training on CPUs (gloo) and GPUs with fairseq's own commands.

fairseq 0.12 trains data-parallel on CUDA devices only. This package makes
``fairseq-train --distributed-world-size N`` (and ``fairseq-hydra-train`` through
:mod:`fairseq_plugins.hydra_train`, and ``torchrun``) train one job on N ranks on CPUs
too, and checks what data parallelism promises:

- :mod:`.launch`: how the ranks start (spawned on one machine, or torchrun's world size
  and rank), gloo on a CPU, a bounded wait for the ranks to join;
- :mod:`.ddp`: DDP looks for unused parameters when the model's embeddings are frozen;
- :mod:`.sync`: at every checkpoint all ranks compare a sha256 of their parameters.

What fairseq itself gets wrong on a CPU run is fixed in :mod:`fairseq_plugins.compat`
(``ddp_cpu_module``: DDP's ``device_ids`` for a CPU model; ``gather_without_cuda``:
``all_gather_list``'s CUDA buffer; ``checkpoint_broadcast``, ``sharded_validation``).
``docs/distributed.md`` tells how to use it.
"""
from fairseq_plugins.distributed import ddp, launch, sync


#: the fairseq versions whose code the replacements below were written for
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}
#: the fairseq globals :func:`install` replaces (docs/architecture.md has why)
REPLACES = ("fairseq.distributed.utils.call_main", "fairseq.distributed.utils.distributed_init",
            "fairseq.checkpoint_utils.save_checkpoint",
            "fairseq.models.distributed_fairseq_model.DistributedDataParallel")


def install():
    """Install the package's replacements of fairseq's functions; safe to call again."""
    launch.install()
    sync.install()
    ddp.install()
