"""Five fairseq 0.12 problems that the plugin's users would otherwise hit, fixed on import.

1. The last batch of a pass is silently dropped.

``fairseq.data.data_utils.batch_by_size`` ends with::

    if bsz_mult > 1 and len(b[-1]) % bsz_mult != 0:
        b = b[:-1]

so with the default ``--required-batch-size-multiple 8`` the final batch of every pass
is thrown away whenever its size is not a multiple of 8: ``fairseq-generate`` on the
first 100 Multi30k test sentences with ``--batch-size 64`` translated 96 of them (the
four longest were lost, batches being sorted by length) and printed a BLEU computed on
those; validation and training lose up to 7 sentences per pass the same way.

The batches are contiguous slices of ``indices`` in order, so the dropped sentences are
exactly the tail that the returned batches do not cover: they are put back as one final,
smaller batch. Nothing else about batching changes.

2. ``--replace-unk`` crashes. ``fairseq.utils.replace_unk`` indexes ``alignment[i]`` as a
list of source positions, one per target token, but the generator that computes
alignments (``--print-alignment``) returns (source, target) pairs, and without it there
is no alignment at all: "list indices must be integers or slices, not tuple". The fix
reads the pairs as a target -> source map, and without an alignment says what to add.

3. A run that finished can still abort at exit (status -6, "terminate called without an
active exception"): see ``_stop_consumers`` below.

4. Language models cannot be trained: ``TokenBlockDataset`` (``--task language_modeling``)
and ``LanguagePairDataset``'s length buckets ask for ``np.compat.long``, which NumPy 2
removed ("module 'numpy' has no attribute 'compat'"). The fix gives NumPy back that one
name, as NumPy 1 defined it (Python's ``int``), and only where it is missing.

5. ``fairseq-interactive --lm-path LM --lm-weight W`` decodes without the language model:
it parses both options (they are generation options) but, unlike ``fairseq-generate``,
never loads the LM, and says nothing. Every task's ``build_generator`` now loads it
(:func:`fairseq_plugins.lm_fusion.load_language_model`, which also checks that the LM
predicts the target dictionary entry by entry) when it is asked for a generator with
``--lm-path`` and no LM: exactly that case, since ``fairseq-generate`` passes its own.
That one fairseq builds on ``DATA/dict.txt`` whatever the LM was trained with, so the
wrapper runs the same dictionary check on it (an error in one line, not a fusion of
unrelated words).
"""
import atexit
import logging
import queue
import threading
import types
import weakref

import numpy as np
from fairseq import utils as fairseq_utils
from fairseq.data import data_utils, iterators
from fairseq.tasks import FairseqTask

logger = logging.getLogger(__name__)

_original = data_utils.batch_by_size


def batch_by_size_keeping_remainder(indices, num_tokens_fn, num_tokens_vec=None, max_tokens=None,
                                    max_sentences=None, required_batch_size_multiple=1,
                                    fixed_shapes=None):
    batches = _original(indices, num_tokens_fn, num_tokens_vec=num_tokens_vec,
                        max_tokens=max_tokens, max_sentences=max_sentences,
                        required_batch_size_multiple=required_batch_size_multiple,
                        fixed_shapes=fixed_shapes)
    if fixed_shapes is not None:
        return batches  # fixed shapes select batches on purpose
    indices = np.asarray(indices)
    covered = sum(len(b) for b in batches)
    if covered < len(indices):
        batches = list(batches) + [indices[covered:]]
    return batches


_original_replace_unk = fairseq_utils.replace_unk


def replace_unk_from_pairs(hypo_str, src_str, alignment, align_dict, unk):
    if unk not in hypo_str.split():
        return hypo_str
    if alignment is None or len(alignment) == 0:
        raise ValueError("--replace-unk needs the attention alignment: add --print-alignment "
                         "(and give --replace-unk a value: '' to copy source words)")
    first = alignment[0]
    if isinstance(first, (tuple, list)) or (hasattr(first, "numel") and first.numel() == 2):
        target_to_source = {}
        for src_idx, tgt_idx in alignment:
            target_to_source.setdefault(int(tgt_idx), int(src_idx))
        n_tokens = len(hypo_str.split())
        alignment = [target_to_source.get(i, -1) for i in range(n_tokens)]  # -1: <eos>
    return _original_replace_unk(hypo_str, src_str, alignment, align_dict, unk)


# --- a clean exit for fairseq's prefetching thread -------------------------------------
# fairseq's BufferedIterator prefetches batches in a daemon thread. When a run stops early
# (--max-update) that thread may still be collating a batch inside torch's C++ code when
# Python exits; CPython 3.11 then ends the thread with pthread_exit, whose unwinding
# through a noexcept C++ frame aborts the whole process ("terminate called without an
# active exception", exit status -6) after training has finished. So at exit the threads
# are told to stop, their queues drained so that a blocked put() returns, and joined.

_STOP = threading.Event()
_CONSUMERS: "weakref.WeakSet" = weakref.WeakSet()
_original_consumer_run = iterators.BackgroundConsumer.run


def _stoppable_consumer_run(self):
    _CONSUMERS.add(self)
    source = self._source

    def until_stopped():
        for item in source:
            if _STOP.is_set():
                return
            yield item

    self._source = until_stopped()
    _original_consumer_run(self)


def _stop_consumers(timeout: float = 10.0):
    _STOP.set()
    for consumer in list(_CONSUMERS):
        for _ in range(int(timeout / 0.05)):
            if not consumer.is_alive():
                break
            try:
                while True:
                    consumer._queue.get_nowait()
            except queue.Empty:
                pass
            consumer.join(0.05)


_original_build_generator = FairseqTask.build_generator


def build_generator_with_lm(self, models, args, seq_gen_cls=None, extra_gen_cls_kwargs=None,
                            prefix_allowed_tokens_fn=None):
    extra = dict(extra_gen_cls_kwargs or {})
    lm_path = getattr(args, "lm_path", None)
    if lm_path:
        from fairseq_plugins import lm_fusion

        if extra.get("lm_model") is not None:   # fairseq-generate's, built on DATA/dict.txt
            lm_fusion.check_language_model(lm_path, self.target_dictionary)
        else:   # fairseq-interactive's case: parsed, then ignored
            first = next(models[0].parameters())
            lm = lm_fusion.load_language_model(lm_path, self.target_dictionary, first.device)
            extra["lm_model"], extra["lm_weight"] = lm.to(first.dtype), args.lm_weight
        if not args.lm_weight:
            logger.warning("--lm-path without --lm-weight (0): the LM changes nothing")
    return _original_build_generator(self, models, args, seq_gen_cls, extra,
                                     prefix_allowed_tokens_fn)


def apply():
    if iterators.BackgroundConsumer.run is not _stoppable_consumer_run:
        iterators.BackgroundConsumer.run = _stoppable_consumer_run
        atexit.register(_stop_consumers)
    if data_utils.batch_by_size is not batch_by_size_keeping_remainder:
        data_utils.batch_by_size = batch_by_size_keeping_remainder
    if fairseq_utils.replace_unk is not replace_unk_from_pairs:
        fairseq_utils.replace_unk = replace_unk_from_pairs
    if FairseqTask.build_generator is not build_generator_with_lm:
        FairseqTask.build_generator = build_generator_with_lm
    if not hasattr(np, "compat"):
        np.compat = types.SimpleNamespace(long=int)
