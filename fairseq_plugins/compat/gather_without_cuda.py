"""``all_gather_list`` works on a process group without CUDA (gloo).

fairseq's ``distributed_utils.all_gather_list``, which gathers Python objects from every
rank (``fairseq-validate``'s logging outputs, the trainer's when a criterion's cannot be
summed), always allocates its buffer with ``torch.cuda.ByteTensor``: on a CPU run it
fails before it gathers anything. Unless the group is nccl on a machine with CUDA, the
objects now go through ``torch.distributed.all_gather_object``, which every backend
supports; an nccl group keeps fairseq's own function.
"""
import torch
import torch.distributed as dist
from fairseq.distributed import utils as distributed_utils

PROBLEM = "fairseq's all_gather_list allocates a CUDA buffer, so it fails on a CPU (gloo) run"
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = ("tests/integration/test_gec.py::"
        "test_validation_on_two_ranks_gives_the_single_process_gleu")

_original = distributed_utils.all_gather_list


def all_gather_list(data, group=None, max_size=16384):
    """fairseq's gather of Python objects; through gloo when the group is not nccl."""
    if group is None:
        group = distributed_utils.get_global_group()
    if torch.cuda.is_available() and dist.get_backend(group) == "nccl":
        return _original(data, group=group, max_size=max_size)
    from fairseq import utils

    gathered = [None] * dist.get_world_size(group=group)
    dist.all_gather_object(gathered, utils.move_to_cpu(data), group=group)
    return gathered


def apply():
    distributed_utils.all_gather_list = all_gather_list
