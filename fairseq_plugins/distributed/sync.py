"""At every checkpoint the ranks check that they hold the same parameters.

Data parallelism promises one model on every rank. At every checkpoint each rank hashes
its parameters and buffers (sha256, bit for bit); rank 0 logs the hash when all ranks
agree, and every rank stops with a :class:`fairseq_plugins.errors.DistributedError`
naming the ranks and their hashes when they do not.
"""
import hashlib
import logging

import torch
import torch.distributed as dist
from fairseq import checkpoint_utils

from fairseq_plugins.errors import DistributedError

logger = logging.getLogger("fairseq_plugins.distributed")

# fairseq's function this module replaced (install)
_original = {}


def parameter_digest(model) -> str:
    """sha256 of every parameter and buffer of ``model``, by name, bit for bit."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode("utf-8"))
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def check_ranks_in_sync(trainer):
    """Every rank hashes its parameters; all must agree (data parallelism's one promise)."""
    group = trainer.data_parallel_process_group
    mine = parameter_digest(trainer.get_model())
    digests = [None] * trainer.data_parallel_world_size
    dist.all_gather_object(digests, mine, group=group)
    update = trainer.get_num_updates()
    if len(set(digests)) != 1:
        listed = ", ".join(f"rank {r} {d[:12]}" for r, d in enumerate(digests))
        raise DistributedError(f"the ranks hold different parameters at update {update} "
                               f"({listed}): data-parallel training went out of sync")
    if trainer.data_parallel_rank == 0:
        logger.info("parameters identical on all %d ranks at update %d (sha256 %s)",
                    len(digests), update, mine[:16])


def save_checkpoint(cfg, trainer, epoch_itr, val_loss):
    if trainer.data_parallel_world_size > 1:
        check_ranks_in_sync(trainer)
    return _original["save_checkpoint"](cfg, trainer, epoch_itr, val_loss)


def install():
    if "save_checkpoint" in _original:
        return
    _original["save_checkpoint"] = checkpoint_utils.save_checkpoint
    checkpoint_utils.save_checkpoint = save_checkpoint
