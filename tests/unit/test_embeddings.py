"""fairseq_plugins.models.embeddings: freezable embeddings, pretrained vectors from text files.

A toy fairseq Dictionary (4 specials + 5 words) and vector files of dimension 3 written
by the tests; embeddings map B x T token ids to B x T x 3 vectors.
"""
import pytest
import torch
from fairseq.data import Dictionary

from fairseq_plugins.models.embeddings import (FreezableEmbedding, PretrainedEmbeddingError,
                                               build_embedding, load_pretrained)

DIM = 3
WORDS = ["mann", "frau", "\u2581Haus", "Baum@@", "hund"]


@pytest.fixture
def dictionary():
    d = Dictionary()  # <s> <pad> </s> <unk>, then the words
    for w in WORDS:
        d.add_symbol(w)
    return d


def vectors(tmp_path, text, name="vec.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_embedding_shape_init_and_padding(dictionary):
    emb = FreezableEmbedding(len(dictionary), DIM, dictionary.pad())
    tokens = torch.tensor([[4, 5, dictionary.pad()], [6, 7, 8]])  # B=2 x T=3
    out = emb(tokens)
    assert out.shape == (2, 3, DIM)
    assert emb.weight.abs().max() <= 0.1  # U(-0.1, 0.1)
    assert not emb.weight[dictionary.pad()].any() and not out[0, 2].any()


def test_frozen_weight_gets_no_gradient_and_unfrozen_gets_one(dictionary):
    emb = FreezableEmbedding(len(dictionary), DIM, dictionary.pad())
    tokens = torch.tensor([[4, 5, 5]])
    scale = torch.nn.Parameter(torch.ones(DIM))  # a trainable layer after the embedding
    emb.frozen = True
    assert not emb.effective_weight().requires_grad
    (emb(tokens) * scale).sum().backward()
    assert emb.weight.grad is None  # the optimizer skips it: no update, no weight decay
    assert scale.grad is not None   # while the rest of the model learns
    emb.frozen = False
    (emb(tokens) * scale).sum().backward()
    used = emb.weight.grad.abs().sum(-1).nonzero().flatten().tolist()
    assert used == [4, 5] and emb.weight.grad[5].tolist() == [2.0] * DIM  # 5 is used twice


def test_glove_vectors_fill_the_words_found(dictionary, tmp_path):
    path = vectors(tmp_path, "mann 0.1 0.2 0.3\nnicht-im-vokabular 9 9 9\n\nfrau -1 0 1.5\n"
                             "<pad> 7 7 7\n")
    emb = FreezableEmbedding(len(dictionary), DIM, dictionary.pad())
    before = emb.weight.detach().clone()
    assert load_pretrained(emb, dictionary, path) == {"found": 2, "total": len(dictionary) - 1}
    w = emb.weight.detach()
    assert w[dictionary.index("mann")].tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert w[dictionary.index("frau")].tolist() == pytest.approx([-1.0, 0.0, 1.5])
    assert torch.equal(w[dictionary.index("hund")], before[dictionary.index("hund")])
    assert not w[dictionary.pad()].any()  # padding is never looked up


def test_word2vec_header_is_read_and_checked(dictionary, tmp_path):
    emb = build_embedding(dictionary, DIM, vectors(tmp_path, "1 3\nhund 1 2 3\n"))
    assert emb.weight[dictionary.index("hund")].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(PretrainedEmbeddingError, match="dimension 5 .* embedding dimension is 3"):
        build_embedding(dictionary, DIM, vectors(tmp_path, "1 5\nhund 1 2 3 4 5\n"))


def test_subword_markers_and_case_are_stripped_for_the_lookup(dictionary, tmp_path):
    """``\u2581Haus`` (sentencepiece) and ``Baum@@`` (subword-nmt) find ``haus`` and ``baum``."""
    emb = build_embedding(dictionary, DIM, vectors(tmp_path, "haus 1 1 1\nbaum 2 2 2\n"))
    assert emb.weight[dictionary.index("\u2581Haus")].tolist() == [1.0] * DIM
    assert emb.weight[dictionary.index("Baum@@")].tolist() == [2.0] * DIM


def test_an_exact_match_wins_over_a_lowercased_one(tmp_path):
    d = Dictionary()
    d.add_symbol("Mann")
    d.add_symbol("Frau")
    text = "mann 1 1 1\nMann 2 2 2\nMann 3 3 3\nfrau 4 4 4\nfrau 5 5 5\n"
    emb = build_embedding(d, DIM, vectors(tmp_path, text))
    assert emb.weight[d.index("Mann")].tolist() == [2.0] * DIM   # exact, though later
    assert emb.weight[d.index("Frau")].tolist() == [4.0] * DIM   # among equals, the first


@pytest.mark.parametrize("text, message", [
    ("mann 1 2\n", r"vec.txt line 1: expected a word and 3 numbers, found 2"),
    ("mann 1 2 3\nfrau 1 zwei 3\n", r"vec.txt line 2: a vector field is not a number"),
    ("mann 1 nan 3\n", r"vec.txt line 1: vector is not finite"),
])
def test_bad_lines_are_errors_naming_file_and_line(dictionary, tmp_path, text, message):
    with pytest.raises(PretrainedEmbeddingError, match=message):
        build_embedding(dictionary, DIM, vectors(tmp_path, text))


def test_unreadable_files_are_errors(dictionary, tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"caf\xe9 1 2 3\n")
    with pytest.raises(PretrainedEmbeddingError, match="latin1.txt: not valid UTF-8"):
        build_embedding(dictionary, DIM, str(latin1))
    with pytest.raises(PretrainedEmbeddingError, match="cannot read word vectors .*none.txt"):
        build_embedding(dictionary, DIM, str(tmp_path / "none.txt"))
    # a ValueError, so that code building models itself can catch it as one
    assert issubclass(PretrainedEmbeddingError, ValueError)
