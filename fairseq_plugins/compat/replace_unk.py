"""``--replace-unk`` no longer crashes.

``fairseq.utils.replace_unk`` indexes ``alignment[i]`` as a list of source positions, one
per target token, but the generator that computes alignments (``--print-alignment``)
returns (source, target) pairs, and without it there is no alignment at all: "list
indices must be integers or slices, not tuple". The fix reads the pairs as a target ->
source map, and without an alignment says what to add.
"""
from fairseq import utils as fairseq_utils

PROBLEM = "--replace-unk indexes (source, target) alignment pairs as positions and crashes"
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = ("tests/integration/test_architectures.py::"
        "test_replace_unk_copies_the_most_attended_source_word")

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


def apply():
    fairseq_utils.replace_unk = replace_unk_from_pairs
