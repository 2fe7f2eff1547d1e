"""With ``--curriculum N``, the epochs after the first N are shuffled again.

fairseq's training loop asks for unshuffled batches while ``epoch <= --curriculum`` and
shuffled ones after (``fairseq_cli/train.py``), but ``EpochBatchIterator`` reuses its
dataloader across epochs (``reuse_dataloader``, on by default) and with it the
``FrozenBatchSampler`` of the first epoch, which keeps the ``shuffle`` it was built with.
So ``--curriculum 1`` trains *every* epoch from the shortest sentences to the longest:
each epoch starts with hundreds of updates on short sentences only (what that did to the
GEC learner recipe: ``docs/fairseq-fixes.md``).

The fix hands each epoch's ``shuffle`` to the reused sampler before it makes the epoch's
batches. Nothing changes for runs without ``--curriculum`` (every epoch shuffled) or
for the curriculum epochs themselves.
"""
from fairseq.data import iterators

PROBLEM = ("--curriculum N leaves every later epoch unshuffled (the reused sampler keeps "
           "epoch 1's order)")
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = "tests/unit/test_compat.py::test_epochs_after_the_curriculum_are_shuffled"

_original = iterators.EpochBatchIterator._get_iterator_for_epoch


def _get_iterator_for_epoch(self, epoch, shuffle, fix_batches_to_gpus=False, offset=0):
    sampler = getattr(self, "epoch_batch_sampler", None)
    if self.reuse_dataloader and self.dataloader is not None and sampler is not None:
        sampler.shuffle = shuffle   # this epoch's choice, not the first epoch's
    return _original(self, epoch, shuffle, fix_batches_to_gpus=fix_batches_to_gpus,
                     offset=offset)


def apply():
    if iterators.EpochBatchIterator._get_iterator_for_epoch is not _get_iterator_for_epoch:
        iterators.EpochBatchIterator._get_iterator_for_epoch = _get_iterator_for_epoch
