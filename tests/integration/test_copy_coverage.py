"""Copy attention and coverage through fairseq's own CLIs.

A toy copy task (output = input: 400 words, sentences of 3 to 8, 2,000 training pairs,
fairseq-preprocess with a joined dictionary) shows what copy attention is for: after 200
updates of a 32-unit rnn_luong, beam 1 reproduces every held-out sentence with it and none
without it (on this machine: 100 of 100 and 0 of 100). Words the dictionary lacks come
through as written with fairseq-generate's --replace-unk on a raw dataset. Coverage trains
with its loss in the log and decodes with --coverage-penalty in fairseq-generate and
fairseq-interactive; a checkpoint whose configuration predates the options decodes as
before.
"""
import random
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from support import PLUGIN_DIR, cli, run, train_cmd

WORDS = [f"w{i:03d}" for i in range(400)]


@pytest.fixture(scope="module")
def copy_task(tmp_path_factory):
    """The toy copy task, binarised (bin/) and as raw text with its dictionaries (raw/)."""
    root = tmp_path_factory.mktemp("copy_task")
    text = root / "text"
    text.mkdir()
    rng = random.Random(0)
    for split, n in (("train", 2000), ("valid", 100), ("test", 100)):
        lines = "".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))) + "\n"
                        for _ in range(n))
        for lang in ("src", "tgt"):
            (text / f"{split}.{lang}").write_text(lines, encoding="utf-8")
    run([cli("fairseq-preprocess"), "--source-lang", "src", "--target-lang", "tgt",
         "--trainpref", text / "train", "--validpref", text / "valid", "--testpref",
         text / "test", "--destdir", root / "bin", "--joined-dictionary", "--workers", "1"])
    return root


def exact_matches(generate_stdout):
    """How many hypotheses equal their reference, of how many."""
    refs, hyps = {}, {}
    for line in generate_stdout.splitlines():
        m = re.match(r"([TH])-(\d+)\t(.*)", line)
        if m:
            (refs if m.group(1) == "T" else hyps)[m.group(2)] = m.group(3).split("\t")[-1]
    return sum(hyps[k] == refs[k] for k in refs), len(refs)


@pytest.fixture(scope="module")
def copy_models(copy_task, tmp_path_factory):
    """{name: checkpoint} of 200 updates on the copy task, without and with copy attention
    (trained side by side)."""
    out = tmp_path_factory.mktemp("copy_models")
    runs = {"plain": [], "copy": ["--copy-attention", "1"]}

    def train(name):
        run(train_cmd(copy_task / "bin", out / name, updates=200, max_tokens=1000,
                      extra=["--cpu", "--disable-validation", *runs[name]]))
        return name, out / name / "checkpoint_last.pt"

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(train, runs))


def test_copy_attention_learns_the_copy_task_far_faster(copy_task, copy_models):
    scores = {}
    for name, ckpt in copy_models.items():
        gen = run([cli("fairseq-generate"), copy_task / "bin", "--user-dir", PLUGIN_DIR,
                   "--path", ckpt, "--gen-subset", "test", "--beam", "1", "--batch-size", "100"])
        scores[name] = exact_matches(gen.stdout)
    assert scores["copy"][1] == scores["plain"][1] == 100
    assert scores["copy"][0] >= 90 and scores["plain"][0] <= 10, scores


def test_a_word_outside_the_dictionary_is_copied_as_written_with_replace_unk(copy_task,
                                                                             copy_models,
                                                                             tmp_path):
    """The copy model copies <unk> where the source has one; fairseq-generate's --replace-unk
    (on a raw dataset, whose source text it keeps) then writes the source word there."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for lang in ("src", "tgt"):
        (raw / f"dict.{lang}.txt").write_text(
            (copy_task / "bin" / f"dict.{lang}.txt").read_text(encoding="utf-8"),
            encoding="utf-8")
        (raw / f"test.src-tgt.{lang}").write_text("w001 Zyzzyva w002 w003\nqqq w010 w011\n",
                                                  encoding="utf-8")

    def generate(*extra):
        proc = run([cli("fairseq-generate"), raw, "--user-dir", PLUGIN_DIR, "--path",
                    copy_models["copy"], "--gen-subset", "test", "--dataset-impl", "raw",
                    "--source-lang", "src", "--target-lang", "tgt", "--beam", "5", *extra])
        return [line.split("\t")[2] for line in proc.stdout.splitlines()
                if line.startswith("H-")]

    assert sorted(generate()) == ["<unk> w010 w011", "w001 <unk> w002 w003"]
    assert sorted(generate("--replace-unk", "", "--print-alignment")) == [
        "qqq w010 w011", "w001 Zyzzyva w002 w003"]


@pytest.fixture(scope="module")
def coverage_model(m30k_joined_bin, tmp_path_factory):
    """rnn_luong with copy attention and coverage, 20 updates of the Multi30k slice: (the
    training log, the checkpoint)."""
    save = tmp_path_factory.mktemp("coverage_model")
    proc = run(train_cmd(m30k_joined_bin, save, extra=[
        "--copy-attention", "1", "--coverage", "1", "--coverage-loss-weight", "0.5",
        "--criterion", "label_smoothed_cross_entropy", "--label-smoothing", "0.1"]))
    return proc.stdout + proc.stderr, save / "checkpoint_last.pt"


def test_coverage_trains_with_its_loss_in_the_log(coverage_model):
    log, _ = coverage_model
    losses = [float(x) for x in re.findall(r"\| coverage_loss ([\d.]+)", log)
              or re.findall(r"coverage_loss=([\d.]+)", log)]
    assert losses and all(x > 0 for x in losses), log[-3000:]


def test_generate_with_the_coverage_penalty(m30k_joined_bin, coverage_model):
    """fairseq-generate takes --coverage-penalty, and it changes hypotheses; a fast mode
    with a shortlist decodes the copy and coverage model under it too (the list holds the
    source tokens of a copying model: no lexical table). Each mode against the standard
    path: tests/unit/test_copy_coverage.py."""
    _, ckpt = coverage_model

    def hypotheses(*extra):
        proc = run([cli("fairseq-generate"), m30k_joined_bin, "--user-dir", PLUGIN_DIR,
                    "--path", ckpt, "--gen-subset", "valid", "--beam", "4", "--batch-size",
                    "16", "--max-len-a", "1.2", "--max-len-b", "5", "--cpu", *extra])
        return {line.split("\t")[0]: line.split("\t")[2] for line in proc.stdout.splitlines()
                if line.startswith("H-")}

    penalised = hypotheses("--coverage-penalty", "0.3")
    assert len(penalised) == 100
    assert penalised != hypotheses(), "the penalty changed no hypothesis"
    fast = hypotheses("--coverage-penalty", "0.3", "--fast-decoding", "int8-shortlist")
    assert len(fast) == 100


def test_interactive_takes_the_coverage_penalty(m30k_joined_bin, coverage_model):
    _, ckpt = coverage_model
    proc = run([cli("fairseq-interactive"), m30k_joined_bin, "--user-dir", PLUGIN_DIR,
                "--path", ckpt, "--beam", "4", "--coverage-penalty", "0.3", "--cpu"],
               input="ein mann fährt fahrrad .\n")
    assert re.search(r"^H-0\t-?[\d.]+\t\S", proc.stdout, re.M), proc.stdout
    bad = run([cli("fairseq-interactive"), m30k_joined_bin, "--user-dir", PLUGIN_DIR,
               "--path", ckpt, "--coverage-penalty", "-1", "--cpu"], input="ein mann .\n",
              check=False)
    assert bad.returncode != 0 and "--coverage-penalty must be >= 0" in bad.stderr


def test_a_checkpoint_from_before_the_options_decodes_unchanged(m30k_joined_bin, tmp_path):
    """A checkpoint without the new keys in its configuration (as every checkpoint saved
    before them) loads, has no new parameter and translates as the same model with them."""
    run(train_cmd(m30k_joined_bin, tmp_path, updates=10))
    ckpt = tmp_path / "checkpoint_last.pt"
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    model_cfg = state["cfg"]["model"]
    for key in ("copy_attention", "coverage", "coverage_loss_weight"):
        model_cfg.pop(key)  # a plain dict: fairseq saves the configuration as one
    old = tmp_path / "old.pt"
    torch.save(state, old)

    def generate(path):
        return run([cli("fairseq-generate"), m30k_joined_bin, "--user-dir", PLUGIN_DIR,
                    "--path", path, "--gen-subset", "valid", "--beam", "5", "--batch-size",
                    "32", "--cpu"]).stdout

    assert generate(old) == generate(ckpt)
