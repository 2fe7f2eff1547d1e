"""``fairseq-validate`` with several ranks no longer dies on an uneven shard.

fairseq shards the validation batches over the ranks and, when their number does not
divide evenly, pads the shorter shards with an empty batch (``ShardedIterator``'s fill
value). The trainer swaps such a batch for a dummy one and ignores its result;
``fairseq-validate`` hands it to ``task.valid_step``, where the criterion fails with
``KeyError: 'net_input'``, so a distributed validation works only when the batches
happen to divide evenly. Every task built by ``fairseq.tasks.setup_task`` now answers an
empty batch with an empty logging output, which adds nothing to any metric.
"""
import torch
from fairseq import tasks

PROBLEM = ("fairseq-validate --distributed-world-size N fails with KeyError: 'net_input' "
           "when the validation batches do not divide evenly over the ranks")
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = ("tests/integration/test_gec.py::"
        "test_validation_on_two_ranks_gives_the_single_process_gleu")

_original_setup_task = tasks.setup_task


def _skipping_empty(valid_step):
    def valid_step_or_nothing(sample, model, criterion):
        if not sample:  # the padding batch of an uneven shard
            return torch.zeros(()), 0, {}
        return valid_step(sample, model, criterion)

    valid_step_or_nothing.skips_empty_batches = True
    return valid_step_or_nothing


def setup_task(cfg, **kwargs):
    task = _original_setup_task(cfg, **kwargs)
    if not getattr(task.valid_step, "skips_empty_batches", False):
        task.valid_step = _skipping_empty(task.valid_step)
    return task


def apply():
    tasks.setup_task = setup_task
