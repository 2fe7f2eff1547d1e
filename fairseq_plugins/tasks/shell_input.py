"""Input checks of the correction shell: each bad line is reported and skipped.

``fairseq-interactive`` hands a task its raw input lines in buffers
(``get_interactive_tokens_and_lengths``), then asks for a dataset of them
(``build_dataset_for_inference``). :class:`ShellInput` does both for a task: it prints
one line ``E-<id>\\t<reason>; skipped`` for an empty line, a line over
``--max-input-chars`` characters or ``--max-source-positions`` tokens, or a line that is
not valid UTF-8 (read with ``surrogateescape`` by
:mod:`fairseq_plugins.compat.interactive_input`), and the dataset it builds leaves those
lines out of the batches. The shell goes on with the next line, and the ids of the
other lines keep matching their input line numbers (0-based).
"""
from typing import Callable, List, Optional

import numpy as np
import torch
from fairseq.data import Dictionary, LanguagePairDataset

from preprocess.text import normalize


def invalid_utf8(line: str) -> Optional[str]:
    """The reason ``line`` (read with ``surrogateescape``) is not UTF-8, or None."""
    for pos, ch in enumerate(line):
        if "\udc80" <= ch <= "\udcff":
            return f"not valid UTF-8 (byte 0x{ord(ch) - 0xDC00:02x} at character {pos})"
    return None


class SkippingLanguagePairDataset(LanguagePairDataset):
    """Inference dataset whose batches leave out the lines in ``skip`` (ids unchanged)."""

    def __init__(self, *args, skip=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.skip = np.asarray(sorted(skip), dtype=np.int64)

    def ordered_indices(self):
        indices = super().ordered_indices()
        if len(self.skip):
            indices = indices[~np.isin(indices, self.skip)]
        return indices


class ShellInput:
    """Checks, encodes and numbers the lines fairseq-interactive reads, for one task."""

    def __init__(self, max_input_chars: int, max_source_positions: int):
        self.max_input_chars = max_input_chars
        self.max_source_positions = max_source_positions
        self.seen = 0            # lines read so far: the id of the next line
        self.pending_skip = set()  # positions in the last buffer that were skipped

    def _problem(self, line: str) -> Optional[str]:
        bad = invalid_utf8(line)
        if bad:
            return bad
        if not line.strip():
            return "empty line"
        if len(line) > self.max_input_chars:
            return (f"line too long ({len(line)} characters, --max-input-chars "
                    f"{self.max_input_chars})")
        return None

    def _encode(self, line: str, dictionary: Dictionary, encode_fn: Callable):
        """(token ids, None) for a good line, else (None, the reason to skip it)."""
        problem = self._problem(line)
        if problem is not None:
            return None, problem
        text = normalize(line)   # the training normalisation (NFKC, whitespace)
        if not text:
            return None, "empty line (after normalisation)"
        ids = dictionary.encode_line(encode_fn(text), add_if_not_exist=False).long()
        if ids.numel() > self.max_source_positions:
            return None, (f"line too long ({ids.numel()} tokens, --max-source-positions "
                          f"{self.max_source_positions})")
        return ids, None

    def tokens_and_lengths(self, lines: List[str], dictionary: Dictionary, encode_fn):
        """Encode one buffer of raw lines; report the ones that cannot be used."""
        start, self.seen = self.seen, self.seen + len(lines)
        tokens, skip = [], set()
        eos = torch.LongTensor([dictionary.eos()])
        for i, line in enumerate(lines):
            ids, problem = self._encode(line, dictionary, encode_fn)
            if problem is not None:
                print(f"E-{start + i}\t{problem}; skipped", flush=True)
                skip.add(i)
                ids = eos   # a placeholder that keeps the ids in step; never batched
            tokens.append(ids)
        self.pending_skip = skip
        return tokens, [t.numel() for t in tokens]

    def dataset(self, src_tokens, src_lengths, src_dict, tgt_dict, constraints=None):
        """The inference dataset of the last buffer, without its skipped lines."""
        skip, self.pending_skip = self.pending_skip, set()
        return SkippingLanguagePairDataset(src_tokens, src_lengths, src_dict,
                                           tgt_dict=tgt_dict, constraints=constraints,
                                           skip=skip)
