"""One row a sentence: the encoder's output as ``--fast-decoding`` lays it out for the beam.

fairseq's generator repeats every sentence's encoder output k times (the beam) and then
copies all of it at every step to follow the hypotheses, though the k copies are the same.
Under every fast mode the encoder's ``reorder_encoder_out`` follows :func:`by_sentence`
instead (the generator's ensemble, :mod:`.search`), and the decoder reads the output with
its :class:`~fairseq_plugins.models.step_inputs.SentenceRows`, which only this module
builds.

Shapes: n sentences, k hypotheses a sentence (the beam), R = n x k rows.
"""
import torch
from torch import Tensor

from fairseq_plugins.models.step_inputs import SENTENCE_ROWS, SentenceRows

#: the encoder output's tensors and the dimension that counts sentences
SENTENCE_DIMS = {"encoder_out": 0, "encoder_padding_mask": 0, "final_hidden": 2,
                 "final_cell": 2, "src_tokens": 0}


def by_sentence(encoder_out, new_order: Tensor, select_rows):
    """Beam search's ``reorder_encoder_out``, keeping one row a sentence (``select_rows``
    is the encoder's own, a row a hypothesis).

    The k rows of a sentence are the same and a hypothesis never moves to another
    sentence, so the output stays one row a sentence, with ``SentenceRows(group=k)``
    (and the attention keys, once the decoder computed them): a step's hypotheses
    are rows ``i*k .. i*k+k-1`` of sentence ``i``. Rows are copied only when sentences
    finish (those are dropped). An order that does not keep whole sentences in groups
    of k (no search of fairseq's makes one) gets the encoder's own row per hypothesis.
    """
    rows_of = encoder_out.get(SENTENCE_ROWS)
    group = rows_of.group if rows_of is not None else 0
    keys = rows_of.keys if rows_of is not None else None
    n = encoder_out["encoder_out"][0].size(0)
    rows = new_order.numel()
    k = group or (rows // n if n and rows % n == 0 else 0)
    sentence = new_order // (group or 1)   # the sentence of each new row
    if k and rows % k == 0:
        by_group = sentence.view(-1, k)
        keep = by_group[:, 0]
        if bool((by_group == keep.unsqueeze(1)).all()):
            if keep.numel() == n and bool((keep == torch.arange(n, device=keep.device)).all()):
                out = dict(encoder_out)
            else:   # sentences finished: keep the others' rows
                out = take_rows(encoder_out, keep)
                keys = keys.index_select(0, keep) if keys is not None else None
            out[SENTENCE_ROWS] = SentenceRows(group=k, keys=keys)
            return out
    own = {key: value for key, value in encoder_out.items() if key != SENTENCE_ROWS}
    return select_rows(own, sentence)   # one row a hypothesis, as fairseq's


def take_rows(encoder_out, index: Tensor):
    """The encoder output's rows ``index`` (sentences, or hypotheses to rescore)."""
    return {key: [t.index_select(SENTENCE_DIMS[key], index) for t in value]
            for key, value in encoder_out.items() if key in SENTENCE_DIMS}
