"""Iterative correction (``--iterative-rounds N``): correct the output again until nothing
changes, at most N rounds in all (Ge et al. 2018's fluency boost inference, Lichtarge et
al. 2019's iterative decoding).

A GEC model makes one pass over a sentence and often fixes only some of its errors; fed
its own output, it fixes more. Each round decodes, as the sentence's new source, the best
hypothesis of the sentences that the last round changed; a sentence whose best
hypothesis equals its input has reached a fixed point and leaves the loop. Its final
hypotheses (n-best, scores, alignments) are those of its last round, scored against that
round's input. Needs a joined dictionary (target ids are source ids), which
``preprocess.gec_data`` builds.
"""
from typing import Callable, List

import torch
from fairseq.data import data_utils


def _source_rows(sample, pad: int) -> List[torch.Tensor]:
    return [row[row.ne(pad)] for row in sample["net_input"]["src_tokens"]]   # each ends </s>


def _sub_sample(sample, rows: List[torch.Tensor], index: List[int], pad: int, eos: int,
                left_pad: bool) -> dict:
    src = data_utils.collate_tokens(rows, pad, eos, left_pad=left_pad)         # B' x S'
    net_input = {"src_tokens": src.to(sample["net_input"]["src_tokens"].device),
                 "src_lengths": torch.tensor([len(r) for r in rows],
                                             device=sample["net_input"]["src_lengths"].device)}
    return {"id": sample["id"][index], "nsentences": len(rows),
            "ntokens": sum(len(r) for r in rows), "net_input": net_input, "target": None}


def correct_until_fixed(step: Callable[[dict], list], sample: dict, hypos: list, rounds: int,
                        pad: int, eos: int, left_pad: bool) -> list:
    """``hypos`` (of ``sample``, the first round) after at most ``rounds - 1`` more rounds
    of ``step`` (one decoding of a sample) on the sentences that still change."""
    inputs = _source_rows(sample, pad)
    active = list(range(len(hypos)))
    for _ in range(rounds - 1):
        outputs = [hypos[i][0]["tokens"] if hypos[i] else inputs[i] for i in active]
        active = [i for i, out in zip(active, outputs)
                  if not torch.equal(out.to(inputs[i].device), inputs[i])]
        if not active:
            break
        for i in active:
            inputs[i] = hypos[i][0]["tokens"].to(inputs[i].device)
        again = step(_sub_sample(sample, [inputs[i] for i in active], active, pad, eos,
                                 left_pad))
        for i, new in zip(active, again):
            hypos[i] = new
    return hypos
