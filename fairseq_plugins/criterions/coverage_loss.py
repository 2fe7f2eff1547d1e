"""See et al.'s coverage loss, added to the loss of whatever criterion a run trains with.

With ``--coverage 1`` the decoder returns the coverage loss of a batch, already weighted
by ``--coverage-loss-weight`` and summed over its target tokens as fairseq's criteria sum
theirs, as ``net_output[1]["coverage_loss"]`` (training only: validation reports the
criterion's own loss). Every criterion that computes its loss in ``compute_loss(model,
net_output, sample, reduce)`` (``cross_entropy``, ``label_smoothed_cross_entropy``,
``edit_weighted_cross_entropy``, ...) gets it added there: :func:`install` mixes
:class:`CoverageLoss` over the class of the criterion each task builds, as fairseq's own
``label_smoothed_cross_entropy_with_alignment`` adds its alignment loss. The training log
shows it as ``coverage_loss`` (per target token, in base 2 as fairseq's ``loss``), which
``loss`` includes.
"""
import math
from typing import Dict

from fairseq import metrics
from fairseq.tasks import FairseqTask


#: the fairseq versions whose code the replacements below were written for
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}
#: the fairseq globals :func:`install` replaces (docs/architecture.md has why)
REPLACES = ("fairseq.tasks.FairseqTask.build_criterion",)


class CoverageLoss:
    """Mixed over a criterion's class: its loss plus the model's coverage loss."""

    _coverage = None

    def forward(self, model, sample, reduce=True):
        self._coverage = None
        loss, sample_size, logging_output = super().forward(model, sample, reduce=reduce)
        if self._coverage is not None:
            logging_output["coverage_loss"] = self._coverage.item()
            self._coverage = None
        return loss, sample_size, logging_output

    def compute_loss(self, model, net_output, sample, reduce=True):
        loss, *rest = super().compute_loss(model, net_output, sample, reduce=reduce)
        extra = net_output[1] if len(net_output) > 1 and isinstance(net_output[1], dict) else {}
        coverage = extra.get("coverage_loss")
        if coverage is not None:
            if not reduce:
                raise ValueError("the coverage loss is a sum over the batch: it needs "
                                 "reduce=True")
            loss = loss + coverage
            self._coverage = coverage.detach()
        return (loss, *rest)

    @classmethod
    def reduce_metrics(cls, logging_outputs) -> None:
        super().reduce_metrics(logging_outputs)
        if any("coverage_loss" in log for log in logging_outputs):
            total = sum(log.get("coverage_loss", 0) for log in logging_outputs)
            size = sum(log.get("sample_size", 0) for log in logging_outputs)
            metrics.log_scalar("coverage_loss", total / max(size, 1) / math.log(2), size,
                               round=3)


_CLASSES: Dict[type, type] = {}


def with_coverage_loss(criterion):
    """``criterion``, its class now :class:`CoverageLoss` over its own (when it has a
    ``compute_loss``; the others are returned as they are)."""
    cls = type(criterion)
    if isinstance(criterion, CoverageLoss) or not hasattr(cls, "compute_loss"):
        return criterion
    if cls not in _CLASSES:
        _CLASSES[cls] = type(cls.__name__, (CoverageLoss, cls), {"__module__": cls.__module__})
    criterion.__class__ = _CLASSES[cls]
    return criterion


_fairseq_build_criterion = FairseqTask.build_criterion


def build_criterion(self, cfg, *args, **kwargs):
    return with_coverage_loss(_fairseq_build_criterion(self, cfg, *args, **kwargs))


def install():
    """Make every task's criterion add the coverage loss (see the module's docstring)."""
    FairseqTask.build_criterion = build_criterion
