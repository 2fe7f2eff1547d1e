"""Edit-weighted label-smoothed cross-entropy, for error correction.

Junczys-Dowmunt et al. (2018), "Approaching Neural Grammatical Error Correction as a
Low-Resource Machine Translation Task", section 4.3: most target tokens of a correction
copy the source, so the few that change it (the corrections) get little of the
gradient, and the model learns to copy too well.  Target tokens that are not part of an
unchanged stretch of the source are weighted ``--edit-weight`` (lambda > 1 favours
recall); the others weigh 1.

::

    fairseq-train DATA --user-dir fairseq_plugins --task gec --arch rnn_gec \\
        --criterion edit_weighted_cross_entropy --edit-weight 2 --label-smoothing 0.1 ...

The weights apply while the model trains; validation reports the plain label-smoothed
loss, so valid losses stay comparable with ``label_smoothed_cross_entropy`` runs.
Source and target must share a dictionary (the gec task's joined dictionary): tokens
are compared by id.
"""
import difflib
from dataclasses import dataclass, field

import torch
from fairseq.criterions import register_criterion
from fairseq.criterions.label_smoothed_cross_entropy import (
    LabelSmoothedCrossEntropyCriterion,
    LabelSmoothedCrossEntropyCriterionConfig,
    label_smoothed_nll_loss,
)

from fairseq_plugins.errors import ModelOptionError


@dataclass
class EditWeightedCrossEntropyConfig(LabelSmoothedCrossEntropyCriterionConfig):
    edit_weight: float = field(
        default=1.0,
        metadata={"help": "loss weight of target tokens that change the source "
                          "(1 = plain label-smoothed cross-entropy)"})


def edit_mask(src_tokens: torch.Tensor, target: torch.Tensor, pad: int, eos: int):
    """B x T bool: True where a target token is not in an unchanged stretch of its source.

    src_tokens: B x S (fairseq pads the source on the left), target: B x T (right-padded,
    ending in eos).  difflib's matching blocks on the token ids mark what was copied;
    padding and eos are never edits.
    """
    mask = torch.zeros_like(target, dtype=torch.bool)
    for b, (src, tgt) in enumerate(zip(src_tokens.tolist(), target.tolist())):
        src = [t for t in src if t != pad and t != eos]
        words = [t for t in tgt if t != pad and t != eos]          # target starts at 0
        edited = [True] * len(words)
        matcher = difflib.SequenceMatcher(None, src, words, autojunk=False)
        for _, j, size in matcher.get_matching_blocks():
            edited[j:j + size] = [False] * size
        mask[b, :len(words)] = torch.tensor(edited, dtype=torch.bool)
    return mask


@register_criterion("edit_weighted_cross_entropy", dataclass=EditWeightedCrossEntropyConfig)
class EditWeightedCrossEntropyCriterion(LabelSmoothedCrossEntropyCriterion):
    def __init__(self, task, sentence_avg, label_smoothing, edit_weight=1.0,
                 ignore_prefix_size=0, report_accuracy=False):
        super().__init__(task, sentence_avg, label_smoothing,
                         ignore_prefix_size=ignore_prefix_size, report_accuracy=report_accuracy)
        if edit_weight <= 0:
            raise ModelOptionError(f"--edit-weight must be positive, got {edit_weight}")
        if ignore_prefix_size:
            raise ModelOptionError("--edit-weight does not support --ignore-prefix-size")
        self.edit_weight = edit_weight
        self.eos_idx = task.target_dictionary.eos()

    def compute_loss(self, model, net_output, sample, reduce=True):
        if not model.training or self.edit_weight == 1.0:
            return super().compute_loss(model, net_output, sample, reduce=reduce)
        lprobs, target = self.get_lprobs_and_target(model, net_output, sample)  # B*T x V, B*T
        loss, nll_loss = label_smoothed_nll_loss(lprobs, target, self.eps,
                                                 ignore_index=self.padding_idx, reduce=False)
        source = sample.get("source_tokens", sample["net_input"]["src_tokens"])  # undropped
        edits = edit_mask(source, sample["target"],
                          self.padding_idx, self.eos_idx).view(-1, 1)         # B*T x 1
        weight = torch.where(edits, self.edit_weight, 1.0).to(loss.dtype)
        loss = loss * weight
        if reduce:
            loss, nll_loss = loss.sum(), nll_loss.sum()
        return loss, nll_loss
