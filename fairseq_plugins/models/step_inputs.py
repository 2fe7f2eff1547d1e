"""What a decoder step reads, as named types, each built in one place.

* :class:`Memory` -- what every step of a batch reads from the encoder; built by
  ``RNNDecoder._memory`` (input feeding's loop takes rows of it: :meth:`Memory.rows`).
* :class:`StepState` -- the state one step takes and returns (the incremental state's
  cached value); built by ``RNNDecoder._initial_state``, changed only by ``_replace``.
* :class:`SentenceRows` -- the encoder output's one extra field under ``--fast-decoding``
  (``encoder_out[SENTENCE_ROWS]``: one row a sentence for k hypotheses); built by
  :func:`fairseq_plugins.decoding.beam_layout.by_sentence`, its keys filled once a batch by
  the decoder.

Shapes: B rows (R = n x k in a beam search, a row a hypothesis), n sentences, k hypotheses
a sentence, S source length, C encoder output size, A attention size, H decoder hidden
size, L decoder layers.
"""
from typing import NamedTuple, Optional

from torch import Tensor

#: the key of :class:`SentenceRows` in an encoder output
SENTENCE_ROWS = "sentence_rows"


class SentenceRows(NamedTuple):
    """An encoder output kept one row a sentence for the beam's k hypotheses."""

    #: k, the hypotheses of each sentence row (rows i*k .. i*k+k-1 are sentence i's)
    group: int
    #: the attention's projected keys n x S x A, computed once a batch (None until then)
    keys: Optional[Tensor] = None


class Memory(NamedTuple):
    """What every step of a batch reads from the encoder."""

    #: encoder outputs B x S x C (n x S x C one row a sentence)
    values: Tensor
    #: padding mask B x S (True at padding); None when no position is padding
    mask: Optional[Tensor]
    #: projected attention keys B x S x A (n x S x A one row a sentence); None without
    #: attention
    keys: Optional[Tensor]
    #: Cho's fixed context, a row per hypothesis R x C (--context-every-step)
    summary: Optional[Tensor] = None
    #: k hypotheses a sentence row (one row a sentence), 0 in fairseq's layout
    group: int = 0
    #: the source tokens of each row R x S (copy attention), a row per hypothesis
    src: Optional[Tensor] = None

    def rows(self, index: Optional[Tensor]) -> "Memory":
        """Rows ``index`` of every tensor (fairseq's layout only); None: unchanged."""
        assert not self.group, "rows of a memory one row a sentence"
        if index is None:
            return self
        return Memory._make(x.index_select(0, index) if isinstance(x, Tensor) else x
                            for x in self)

    def prefix(self, n: int) -> "Memory":
        """The first ``n`` rows of every tensor (fairseq's layout only)."""
        assert not self.group, "rows of a memory one row a sentence"
        return Memory._make(x.narrow(0, 0, n) if isinstance(x, Tensor) else x for x in self)


class StepState(NamedTuple):
    """The state one decoder step takes and returns."""

    #: hidden state L x B x H
    hidden: Tensor
    #: cell state L x B x H (LSTM), None for a GRU
    cell: Optional[Tensor]
    #: the previous step's attentional vector B x H (input feeding), else None
    input_feed: Optional[Tensor] = None
    #: the sum of past attention B x S, fp32 (--coverage or a coverage penalty), else None
    coverage: Optional[Tensor] = None
    #: Wu et al.'s cp(X; Y) so far, B (a coverage penalty), else None
    penalty: Optional[Tensor] = None
    #: the attention keys, carried with the state in fairseq's layout (incremental decoding)
    keys: Optional[Tensor] = None

    def rows(self, index: Optional[Tensor]) -> "StepState":
        """Rows ``index`` of every tensor (the beam's reorder); None: unchanged."""
        if index is None:
            return self
        return StepState._make(None if x is None else x.index_select(_ROW_DIM[name], index)
                               for name, x in zip(self._fields, self))

    def prefix(self, n: int) -> "StepState":
        """The first ``n`` rows of every tensor (input feeding's sentences still running)."""
        return StepState._make(None if x is None else x.narrow(_ROW_DIM[name], 0, n)
                               for name, x in zip(self._fields, self))

    def repeat_rows(self, k: int) -> "StepState":
        """Each row k times (one row a sentence -> a row a hypothesis)."""
        return StepState._make(None if x is None else x.repeat_interleave(k, _ROW_DIM[name])
                               for name, x in zip(self._fields, self))


#: the dimension of a :class:`StepState` field that counts rows
_ROW_DIM = {"hidden": 1, "cell": 1, "input_feed": 0, "coverage": 0, "penalty": 0, "keys": 0}
