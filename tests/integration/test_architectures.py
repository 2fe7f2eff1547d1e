"""Each named architecture through the real CLIs: trains with falling loss, saves, generates.

Plus attention as fairseq's generator uses it: ``--print-alignment`` and ``--replace-unk``.
"""
import re

import pytest

from support import (PLUGIN_DIR, binarise_multi30k, cli, run, small_test_bin, train_cmd,
                      train_losses)

ARCH_EXTRA = {
    "rnn_sutskever": [],
    "rnn_cho": [],
    "rnn_bahdanau": [],
    "rnn_luong": ["--teacher-forcing-ratio", "0.75"],  # scheduled sampling path too
    "rnn_gec": ["--unfreeze-embeddings-after", "10"],
}


def train(data_bin, save, arch, updates, extra=()):
    proc = run(train_cmd(data_bin, save, arch, updates, [*extra, "--disable-validation"],
                         max_tokens=2500))
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("arch", list(ARCH_EXTRA))
def test_named_architecture_trains_saves_generates(arch, m30k_spm, tmp_path):
    log = train(m30k_spm / "bin", tmp_path, arch, 25, ARCH_EXTRA[arch])
    losses = train_losses(log)
    assert len(losses) == 5, log[-2000:]
    assert losses[-1] < losses[0] - 0.5, f"loss did not fall: {losses}"
    assert (tmp_path / "checkpoint_last.pt").exists()
    attn = [] if arch in ("rnn_sutskever", "rnn_cho") else ["--print-alignment"]
    gen = run([cli("fairseq-generate"), small_test_bin(m30k_spm), "--user-dir", PLUGIN_DIR,
               "--path", tmp_path / "checkpoint_last.pt", "--beam", "5", "--batch-size", "64",
               "--max-len-a", "1", "--max-len-b", "5", *attn])
    hyps = [line for line in gen.stdout.splitlines() if line.startswith("H-")]
    # 64 + 36: fairseq 0.12 alone drops the last 4 (fairseq_plugins.compat.last_batch)
    assert len(hyps) == 100
    if attn:
        aligns = [line for line in gen.stdout.splitlines() if line.startswith("A-")]
        assert len(aligns) == 100 and re.match(r"A-\d+\t\d+-\d+", aligns[0])


@pytest.fixture(scope="module")
def unk_model(data_dir, tmp_path_factory):
    """A word-level model whose vocabulary leaves out every word seen fewer than 3 times,
    so that <unk> is among the most frequent target tokens and the model emits it. The
    data stays raw text (``--dataset-impl raw``): fairseq-generate can only copy a source
    word that it still has, and binarised data keeps only its <unk> id."""
    root = tmp_path_factory.mktemp("unk")
    data_bin = binarise_multi30k(data_dir, root, train=1000, valid=100, threshold=3,
                                 dataset_impl="raw")
    train(data_bin, root / "ckpt", "rnn_luong", 60,
          ["--input-feeding", "0", "--dataset-impl", "raw"])
    return data_bin, root / "ckpt" / "checkpoint_last.pt"


def generate(data_bin, ckpt, *extra):
    out = run([cli("fairseq-generate"), data_bin, "--user-dir", PLUGIN_DIR, "--path", ckpt,
               "--dataset-impl", "raw", "--beam", "5", "--batch-size", "16", "--max-len-a", "1",
               "--max-len-b", "3", "--print-alignment",
               # a bonus for <unk>: a model of 60 updates may emit none on its own (one
               # started from U(-0.1, 0.1) repeats "a"), and the copying is what is tested
               "--unkpen", "-1", *extra])
    by_id = {}
    for line in out.stdout.splitlines():
        m = re.match(r"([SHA])-(\d+)\t(.*)", line)
        if m:
            by_id.setdefault(int(m.group(2)), {})[m.group(1)] = m.group(3).split("\t")[-1]
    return by_id


def test_replace_unk_copies_the_most_attended_source_word(unk_model):
    data_bin, ckpt = unk_model
    plain = generate(data_bin, ckpt)
    # fairseq 0.12 gives a bare --replace-unk the value "@@ " (read as an alignment
    # dictionary file); an empty value means "copy the most-attended source word"
    replaced = generate(data_bin, ckpt, "--replace-unk", "")
    n_replaced = 0
    for sid, out in plain.items():
        src = replaced[sid]["S"].split()  # with --replace-unk, S- is the raw source text
        hyp, hyp_rep = out["H"].split(), replaced[sid]["H"].split()
        align = dict(tuple(map(int, a.split("-")))[::-1] for a in out["A"].split())  # tgt -> src
        assert len(hyp) == len(hyp_rep)
        for t, (tok, tok_rep) in enumerate(zip(hyp, hyp_rep)):
            if tok == "<unk>":
                assert tok_rep == src[align[t]] != "<unk>", (sid, t, out, replaced[sid])
                n_replaced += 1
            else:
                assert tok_rep == tok
    assert n_replaced > 0, f"the model emitted no <unk> to replace: {plain}"
