"""``--fast-decoding shortlist``: the output layer over a list of target tokens per batch.

The list (:class:`Shortlist`): the most frequent ``--shortlist-frequent`` tokens, the
special symbols, the source tokens themselves where the task says so
(``task.shortlist_includes_source``, the ``gec`` task) or the model copies them (copy
attention) and source and target share a dictionary, and, for each source token, its
targets in ``--shortlist FILE`` (a lexical table, ``scripts/build_shortlist.py`` builds one
from the training data). :func:`list_output`
is the output layer over one batch's list, which the decoder's step runs in place of its
own (:mod:`.generator` sets it per batch and rescores what the search returns).
"""
import os
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from fairseq_plugins.decoding.int8 import Int8Rows
from fairseq_plugins.decoding.options import DEFAULT_FREQUENT, FastDecodingError
from fairseq_plugins.models.rnn_seq2seq import joined


class Shortlist:
    """Which target tokens a batch may output: see the module's docstring."""

    def __init__(self, src_dict, tgt_dict, table: Optional[Dict[int, List[int]]],
                 frequent: int, include_source: bool):
        self.tgt_size = len(tgt_dict)
        # the special symbols first: each keeps its id in the list (bos, pad, eos, unk are
        # 0..3), which is what lets fairseq's search run over list positions
        always = set(range(min(len(tgt_dict), tgt_dict.nspecial + frequent)))
        always |= {tgt_dict.bos(), tgt_dict.pad(), tgt_dict.eos(), tgt_dict.unk()}
        self.always = torch.tensor(sorted(always), dtype=torch.long)
        self.include_source = include_source
        self.pad = src_dict.pad()
        # the table as one lookup: source id -> row of target ids (padded with eos)
        self.lookup = None
        if table:
            width = max(len(v) for v in table.values())
            lookup = torch.full((len(src_dict), max(width, 1)), tgt_dict.eos(), dtype=torch.long)
            for s, targets in table.items():
                lookup[s, :len(targets)] = torch.tensor(targets, dtype=torch.long)
            self.lookup = lookup

    def select(self, src_tokens: Tensor, extra: Optional[Tensor] = None) -> Tensor:
        """The sorted target ids for a batch of source tokens (B x S)."""
        src = src_tokens[src_tokens != self.pad].unique().cpu()
        parts = [self.always]
        if self.lookup is not None:
            parts.append(self.lookup[src].flatten())
        if self.include_source:
            parts.append(src[src < self.tgt_size])
        if extra is not None:
            parts.append(extra.flatten().cpu())
        return torch.cat(parts).unique()   # sorted


def read_table(path: str, src_dict, tgt_dict) -> Dict[int, List[int]]:
    """A lexical table file: ``source-token<TAB>target-token target-token ...`` a line."""
    if not os.path.isfile(path):
        raise FastDecodingError(f"--shortlist {path}: no such file")
    table, unknown_src, known = {}, 0, 0
    unk_src, unk_tgt = src_dict.unk(), tgt_dict.unk()
    with open(path, encoding="utf-8", errors="strict") as f:
        try:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                if "\t" not in line:
                    raise FastDecodingError(
                        f"--shortlist {path}: line {number} is not 'source<TAB>targets' (a "
                        f"lexical table from scripts/build_shortlist.py)")
                src, targets = line.rstrip("\n").split("\t", 1)
                s = src_dict.index(src)
                if s == unk_src and src != src_dict.unk_word:
                    unknown_src += 1
                    continue
                ids = [t for t in (tgt_dict.index(w) for w in targets.split()) if t != unk_tgt]
                table[s] = ids
                known += 1
        except UnicodeDecodeError as e:
            raise FastDecodingError(f"--shortlist {path}: not UTF-8 text ({e.reason} at byte "
                                    f"{e.start})")
    if known == 0:
        raise FastDecodingError(f"--shortlist {path}: none of its {unknown_src} source tokens is "
                                f"in the source dictionary: a table for another model's data?")
    return table


def build_shortlist(args, task, mode, copies: bool = False) -> Shortlist:
    """The list of ``--shortlist``, ``--shortlist-frequent`` and the source tokens, when the
    task says so or the model ``copies`` them (copy attention)."""
    src_dict, tgt_dict = task.source_dictionary, task.target_dictionary
    path = getattr(args, "shortlist", None)
    frequent = getattr(args, "shortlist_frequent", None)
    frequent = DEFAULT_FREQUENT if frequent is None else int(frequent)
    if frequent < 0:
        raise FastDecodingError(f"--shortlist-frequent must be >= 0, got {frequent}")
    # a task whose outputs mostly copy its inputs (gec) lists the source tokens
    source = bool(getattr(task, "shortlist_includes_source", False)) or copies
    if not path and not source:
        raise FastDecodingError(
            f"--fast-decoding {mode} needs a lexical table, --shortlist FILE (build one with "
            f"scripts/build_shortlist.py); only the gec task and models with copy attention "
            f"list the source tokens instead")
    table = read_table(path, src_dict, tgt_dict) if path else None
    return Shortlist(src_dict, tgt_dict, table, frequent,
                     include_source=joined(src_dict, tgt_dict) and source)


def list_output(ids: Tensor, weight: Tensor, bias: Optional[Tensor], quantized=None):
    """The output layer's rows ``ids`` (of ``weight`` V x F and ``bias``): logits over the
    list, K wide. With ``quantized`` (the whole layer in int8) its rows, as it quantised
    them, so that each logit is the int8 model's logit for that token."""
    weight = weight.detach().index_select(0, ids)
    bias = bias.detach().index_select(0, ids) if bias is not None else None
    if quantized is not None:
        return Int8Rows(quantized, weight, ids, bias)
    return lambda x: F.linear(x, weight, bias)
