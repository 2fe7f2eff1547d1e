"""Copy bias (``--copy-bias B``): keep the source unless the model clearly prefers a change.

Most of a GEC output copies its input, and a wrong "correction" costs GLEU twice (the
new n-grams miss the references, the removed ones were often right). So the source
itself is scored as a hypothesis by the same models (teacher-forced, fairseq's
``SequenceScorer``) and wins unless ``best - copy > B``, both scores being mean token
log-probabilities (fairseq's own score with ``--lenpen 1``). Needs a joined dictionary
(source token ids are target token ids), which ``preprocess.gec_data`` builds.
"""
import torch
from fairseq.data import data_utils
from fairseq.sequence_scorer import SequenceScorer


def _copy_sample(sample, pad: int, eos: int) -> dict:
    """The batch with each source as its own target (teacher forcing input shifted)."""
    src = sample["net_input"]["src_tokens"]                        # B x S, padded
    copies = [row[row.ne(pad)] for row in src]                     # each ends with </s>
    target = data_utils.collate_tokens(copies, pad, eos, left_pad=False)          # B x S'
    prev = data_utils.collate_tokens(copies, pad, eos, left_pad=False,
                                     move_eos_to_beginning=True)                  # B x S'
    return {"target": target, "nsentences": len(copies), "ntokens": int(target.ne(pad).sum()),
            "net_input": {**sample["net_input"], "prev_output_tokens": prev}}


def prefer_source(models, sample, hypos, tgt_dict, bias: float):
    """Put the unchanged source first in ``hypos`` wherever the model does not prefer a
    correction by more than ``bias`` nats of mean token log-probability."""
    copy_sample = _copy_sample(sample, tgt_dict.pad(), tgt_dict.eos())
    with torch.no_grad():
        scored = SequenceScorer(tgt_dict, compute_alignment=True).generate(models, copy_sample)
    for i, (nbest, (copy,)) in enumerate(zip(hypos, scored)):
        best = nbest[0]["positional_scores"].mean() if nbest else None
        copy_score = copy["positional_scores"].mean()
        if best is None or best - copy_score <= bias:
            if copy["attention"] is not None:   # scorer: T x S; generator hypos: S x T
                copy["attention"] = copy["attention"].t()
            others = [h for h in nbest if not torch.equal(h["tokens"], copy["tokens"])]
            hypos[i] = [copy] + others
    return hypos
