"""Token embeddings: pretrained initialisation (GloVe / word2vec text) and freezing.

Freezing is done by detaching the weight in ``forward`` rather than by setting
``requires_grad=False``: fairseq builds its optimizer once, from the parameters that
require a gradient at that moment, so a parameter frozen that way could never be
unfrozen by ``--unfreeze-embeddings-after``. A detached weight simply gets no gradient;
fairseq's optimizers skip parameters whose ``grad`` is None (no update, no weight decay),
and the weight starts moving on the first update after ``frozen`` is cleared.
"""
import logging
from typing import Dict, Iterator, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from fairseq_plugins.errors import ModelOptionError

logger = logging.getLogger(__name__)

# subword markers stripped before a vocabulary entry is looked up in a word-vector file
_SUBWORD_PREFIXES = ("\u2581",)  # sentencepiece word-start marker
_SUBWORD_SUFFIXES = ("@@",)  # subword-nmt continuation marker


class PretrainedEmbeddingError(ModelOptionError):
    """A word-vector file that cannot be used; the message names the file and line."""


class FreezableEmbedding(nn.Embedding):
    """nn.Embedding whose weight can be frozen and unfrozen during training."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int):
        super().__init__(num_embeddings, embedding_dim, padding_idx=padding_idx)
        self.frozen = False
        nn.init.uniform_(self.weight, -0.1, 0.1)
        with torch.no_grad():
            self.weight[padding_idx].zero_()

    def effective_weight(self) -> Tensor:
        """The weight as used this step (detached while frozen); also for a tied output layer."""
        return self.weight.detach() if self.frozen else self.weight

    def forward(self, tokens: Tensor) -> Tensor:
        return F.embedding(tokens, self.effective_weight(), self.padding_idx)


def _read_vectors(path: str, dim: int) -> Iterator[Tuple[int, str, Tensor]]:
    """Yield (line number, word, vector) from a GloVe or word2vec text file.

    word2vec text files start with a ``<count> <dim>`` header; GloVe files do not. A
    vector of the wrong size or a field that is not a number is an error naming the line:
    a silently skipped line would leave a word randomly initialised without anyone knowing.
    """
    try:
        handle = open(path, encoding="utf-8", errors="strict")
    except OSError as exc:
        raise PretrainedEmbeddingError(f"cannot read word vectors {path}: {exc.strerror}") from None
    with handle:
        try:
            for lineno, line in enumerate(handle, start=1):
                fields = line.rstrip("\n").rstrip(" ").split(" ")
                if lineno == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                    if int(fields[1]) != dim:
                        raise PretrainedEmbeddingError(
                            f"{path}: vectors have dimension {fields[1]} (word2vec header) but "
                            f"the embedding dimension is {dim}"
                        )
                    continue
                if fields == [""]:
                    continue
                if len(fields) != dim + 1:
                    raise PretrainedEmbeddingError(
                        f"{path} line {lineno}: expected a word and {dim} numbers, found "
                        f"{len(fields) - 1} numbers (wrong dimension or malformed line)"
                    )
                try:
                    vector = torch.tensor([float(x) for x in fields[1:]])
                except ValueError:
                    raise PretrainedEmbeddingError(
                        f"{path} line {lineno}: a vector field is not a number"
                    ) from None
                if not torch.isfinite(vector).all():
                    raise PretrainedEmbeddingError(f"{path} line {lineno}: vector is not finite")
                yield lineno, fields[0], vector
        except UnicodeDecodeError as exc:
            raise PretrainedEmbeddingError(f"{path}: not valid UTF-8 ({exc.reason})") from None


def _lookup_keys(symbol: str) -> Iterator[str]:
    """The symbol itself, then without subword markers, then lowercased."""
    yield symbol
    bare = symbol
    for prefix in _SUBWORD_PREFIXES:
        if bare.startswith(prefix):
            bare = bare[len(prefix):]
    for suffix in _SUBWORD_SUFFIXES:
        if bare.endswith(suffix):
            bare = bare[: -len(suffix)]
    if bare and bare != symbol:
        yield bare
    if bare.lower() != bare:
        yield bare.lower()


def load_pretrained(embedding: nn.Embedding, dictionary, path: str) -> Dict[str, int]:
    """Copy vectors from ``path`` into ``embedding`` for every dictionary symbol found.

    Returns and logs how many vocabulary entries were found; the others keep their random
    initialisation.
    """
    dim = embedding.embedding_dim
    wanted: Dict[str, list] = {}   # key -> [(index, rank of the key among the symbol's)]
    for index, symbol in enumerate(dictionary.symbols):
        if index == dictionary.pad():
            continue
        for rank, key in enumerate(_lookup_keys(symbol)):
            wanted.setdefault(key, []).append((index, rank))
    found: Dict[int, int] = {}     # index -> rank of the key its vector was found under
    with torch.no_grad():
        for _, word, vector in _read_vectors(path, dim):
            # a closer key replaces a looser one found earlier in the file (the exact
            # symbol beats its lowercased form); among equals the first line wins
            for index, rank in wanted.get(word, ()):
                if rank < found.get(index, rank + 1):
                    embedding.weight[index].copy_(vector)
                    found[index] = rank
    total = len(dictionary) - 1  # padding excluded
    logger.info(
        "pretrained embeddings %s: found %d of %d vocabulary entries (%.1f%%)",
        path, len(found), total, 100.0 * len(found) / max(total, 1),
    )
    return {"found": len(found), "total": total}


def build_embedding(dictionary, dim: int, path: str = None) -> FreezableEmbedding:
    emb = FreezableEmbedding(len(dictionary), dim, dictionary.pad())
    if path:
        load_pretrained(emb, dictionary, path)
    return emb

