"""Source-word dropout for the ``gec`` task (``--source-word-dropout P``).

During training only, each source token (not padding, not end-of-sentence) is replaced
by ``<unk>`` with probability ``P``, so that the model cannot copy every word it reads
and learns to rely on the target side too: a noise Junczys-Dowmunt et al. (2018) found
to raise recall when a GEC model copies too much. ``GECTask.train_step`` calls it;
validation, ``fairseq-generate`` and ``fairseq-interactive`` never go through
``train_step``, so they always see the source as it is.

The edit-weighted criterion still finds the edits against the real source: the sample
keeps it as ``sample["source_tokens"]``.
"""
import torch

SOURCE_KEY = "source_tokens"   # the undropped source, for criteria that compare with it


def drop_source_words(sample: dict, p: float, unk: int, pad: int, eos: int) -> dict:
    """A shallow copy of ``sample`` whose ``net_input.src_tokens`` (B x S) has tokens
    replaced by ``unk`` with probability ``p``; ``sample`` itself is left unchanged."""
    if p <= 0 or not sample or "net_input" not in sample:
        return sample
    src = sample["net_input"]["src_tokens"]                          # B x S
    droppable = (src != pad) & (src != eos)
    hit = (torch.rand(src.shape, device=src.device) < p) & droppable
    out = dict(sample)
    out["net_input"] = dict(sample["net_input"], src_tokens=src.masked_fill(hit, unk))
    out[SOURCE_KEY] = src
    return out
