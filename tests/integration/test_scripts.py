"""Tests of the command-line scripts in ``scripts/``, run as real subprocesses.

The model-based scripts are exercised on a real, tiny fairseq run: a few hundred
lowercased, whitespace-tokenised Multi30k de-en lines binarised with
``fairseq-preprocess`` and a small ``lstm`` (fairseq's built-in arch, which exposes
attention) trained for two epochs with ``fairseq-train --tensorboard-logdir``. That run
is shared by the whole module (see ``trained``). What needs no model and no shared data
(evaluate_mt.py on text files, squad_to_seq2seq.py, the scripts' bad-input errors) is in
``tests/unit``.
"""
import gzip
import json
import math
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from support import PLUGIN_DIR, REPO, assert_one_line_error, cli, run, sacrebleu_cli, write_lines

SCRIPTS = REPO / "scripts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TRAIN_LINES, HELDOUT_LINES = 300, 40


def script(name, *args, check=False):
    """Run ``scripts/NAME.py`` with the test interpreter; return the CompletedProcess."""
    return run([sys.executable, SCRIPTS / name, *args], check=check)


def assert_png(path, min_bytes=5000):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > min_bytes


# --------------------------------------------------------------------------- tiny real run
def simple_tokenise(line):
    """Lowercase and split punctuation off: enough tokenisation for a smoke model."""
    return " ".join(re.sub(r"([.,!?;:\"()])", r" \1 ", line.lower()).split())


def write_raw_split(data_dir, split, out_prefix, n_lines):
    for lang in ("de", "en"):
        with gzip.open(data_dir / "multi30k" / f"{split}.{lang}.gz", "rt", encoding="utf-8") as f:
            lines = [simple_tokenise(next(f)) for _ in range(n_lines)]
        Path(f"{out_prefix}.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")


TINY_LSTM = ["--arch", "lstm", "--encoder-embed-dim", "32", "--encoder-hidden-size", "32",
             "--decoder-embed-dim", "32", "--decoder-hidden-size", "32",
             "--decoder-out-embed-dim", "32"]


def train_tiny(data_bin, save_dir, *extra):
    return run([cli("fairseq-train"), data_bin, "--user-dir", PLUGIN_DIR, "--task", "translation",
                *TINY_LSTM, "--optimizer", "adam", "--lr", "0.005", "--batch-size", "32",
                "--save-dir", save_dir, "--no-epoch-checkpoints", "--cpu", "--seed", "1",
                "--num-workers", "0", "--log-format", "simple", *extra])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_dir):
    """Binarised Multi30k slice + an lstm trained 2 epochs (20 updates) with TensorBoard logs."""
    root = tmp_path_factory.mktemp("tiny_mt")
    raw = root / "raw"
    raw.mkdir()
    write_raw_split(data_dir, "train", raw / "train", TRAIN_LINES)
    write_raw_split(data_dir, "val", raw / "valid", HELDOUT_LINES)
    write_raw_split(data_dir, "test_2016_flickr", raw / "test", HELDOUT_LINES)
    data_bin = root / "bin"
    run([cli("fairseq-preprocess"), "--source-lang", "de", "--target-lang", "en",
         "--trainpref", raw / "train", "--validpref", raw / "valid", "--testpref", raw / "test",
         "--destdir", data_bin, "--workers", "1"])
    log = train_tiny(data_bin, root / "ckpt", "--max-epoch", "2", "--log-interval", "2",
                     "--tensorboard-logdir", root / "tb")
    return SimpleNamespace(root=root, raw=raw, data_bin=data_bin, tb=root / "tb",
                           ckpt=root / "ckpt" / "checkpoint_best.pt", train_log=log.stdout)


# --------------------------------------------------------------------------- plot_loss
def test_plot_loss_reads_fairseq_tensorboard_logs(trained, tmp_path):
    out = tmp_path / "loss.png"
    proc = script("plot_loss.py", "--logdir", trained.tb, "--out", out, check=True)
    assert_png(out)
    summary = {line.split(":")[0]: line for line in proc.stdout.splitlines() if ":" in line}
    # 300 lines in batches of at most 32 (multiples of 8) = 11 updates per epoch, the
    # last, smaller one included (fairseq_plugins.compat.last_batch); 2 epochs, --log-interval 2
    assert "11 points, updates 2..22" in summary["train_inner"]
    assert "2 points, updates 11..22" in summary["train"]
    assert "2 points, updates 11..22" in summary["valid"]
    # the values must be the ones fairseq printed in its own log (3 decimals there)
    logged = re.findall(r"\| valid on 'valid' subset \| loss ([\d.]+)", trained.train_log)
    plotted = float(summary["valid"].rsplit(" ", 1)[1])
    assert logged and abs(float(logged[-1]) - plotted) < 0.0015


def test_plot_loss_tolerates_truncated_event_file(trained, tmp_path):
    """A run still being written ends in a partial record: earlier points must still load."""
    logdir = tmp_path / "tb"
    shutil.copytree(trained.tb, logdir)
    event = next((logdir / "train_inner").glob("events.out.tfevents.*"))
    data = event.read_bytes()
    event.write_bytes(data[:len(data) // 2])
    proc = script("plot_loss.py", "--logdir", logdir, "--out", tmp_path / "l.png", check=True)
    points = re.search(r"train_inner: (\d+) points, updates 2\.\.", proc.stdout)
    assert points and 1 <= int(points.group(1)) < 10, proc.stdout


# --------------------------------------------------------------------------- plot_attention
def read_tsv(path):
    rows = [line.split("\t") for line in Path(path).read_text(encoding="utf-8").splitlines()]
    return rows[0][1:], [r[0] for r in rows[1:]], [[float(x) for x in r[1:]] for r in rows[1:]]


def test_plot_attention_heatmap_from_lstm(trained, tmp_path):
    sentence = "zwei junge männer sind im freien ."
    out, tsv = tmp_path / "attn.png", tmp_path / "attn.tsv"
    proc = script("plot_attention.py", "--data-bin", trained.data_bin, "--path", trained.ckpt,
                  "--user-dir", PLUGIN_DIR, "--sentence", sentence, "--out", out, "--tsv", tsv,
                  "--beam", "3", "--max-len-a", "0", "--max-len-b", "8", check=True)
    assert_png(out)
    src, tgt, matrix = read_tsv(tsv)
    assert src == sentence.split() + ["</s>"]  # encoded as fairseq-interactive does
    assert tgt[-1] == "</s>" and 2 <= len(tgt) <= 9  # --max-len-b passed on to fairseq
    assert f"attention {len(tgt)} generated x {len(src)} source tokens" in proc.stdout
    for row in matrix:  # each generated token's attention is a distribution over the source
        assert len(row) == len(src) and abs(sum(row) - 1) < 1e-3 and min(row) >= 0


def test_plot_attention_model_without_attention(trained, tmp_path):
    """An lstm trained with --decoder-attention 0 has no attention: clear error, no PNG."""
    train_tiny(trained.data_bin, tmp_path / "ckpt", "--decoder-attention", "0",
               "--max-update", "1", "--disable-validation")
    out = tmp_path / "attn.png"
    proc = script("plot_attention.py", "--data-bin", trained.data_bin,
                  "--path", tmp_path / "ckpt" / "checkpoint_last.pt",
                  "--sentence", "ein mann .", "--out", out, "--max-len-b", "3")
    assert_one_line_error(proc, "no attention")
    assert not out.exists()


def test_plot_attention_bad_checkpoint_path(trained, tmp_path):
    proc = script("plot_attention.py", "--data-bin", trained.data_bin,
                  "--path", tmp_path / "nope.pt", "--sentence", "x", "--out", tmp_path / "a.png")
    assert_one_line_error(proc, "checkpoint not found")


# --------------------------------------------------------------------------- evaluate_mt


def test_evaluate_mt_on_real_generate_and_validate(trained, tmp_path):
    gen = run([cli("fairseq-generate"), trained.data_bin, "--path", trained.ckpt,
               "--user-dir", PLUGIN_DIR, "--gen-subset", "test", "--beam", "2",
               "--max-len-a", "0", "--max-len-b", "10", "--batch-size", "16", "--cpu"])
    gen_file = tmp_path / "gen.out"
    gen_file.write_text(gen.stdout, encoding="utf-8")
    # the same hypotheses, extracted independently, scored by sacreBLEU's own CLI
    by_id = dict(re.findall(r"^D-(\d+)\t[^\t]*\t(.*)$", gen.stdout, re.M))
    hyp = write_lines(tmp_path / "hyp", [by_id[str(i)] for i in range(HELDOUT_LINES)])
    ref = trained.raw / "test.en"
    proc = script("evaluate_mt.py", "--generate-output", gen_file, "--ref", ref, "--json",
                  "--data-bin", trained.data_bin, "--path", trained.ckpt, check=True)
    result = json.loads(proc.stdout)
    assert result["sentences"] == HELDOUT_LINES
    assert result["sacrebleu"] == sacrebleu_cli(ref, hyp)
    # perplexity from the real fairseq-validate on the test subset (cross_entropy: 2**loss)
    assert result["test_loss"] > 0
    assert math.isclose(result["test_ppl"], 2 ** result["test_loss"], rel_tol=2e-3)

    proc = script("evaluate_mt.py", "--data-bin", trained.data_bin, "--path", tmp_path / "no.pt")
    assert_one_line_error(proc, "checkpoint not found")


# --------------------------------------------------------------------------- benchmark
def test_benchmark_reports_every_system_and_a_floor_of_the_stated_size(trained, tmp_path):
    """A few updates of each system on the tiny corpus: one table row each, ratios against
    lstm, and a floor that generates nothing and holds exactly the layers it claims."""
    out = tmp_path / "bench.json"
    proc = script("benchmark.py", "--data-bin", trained.data_bin, "--updates", "2", "--warmup",
                  "1", "--threads", "1", "--embed", "16", "--hidden", "16", "--dec-hidden",
                  "24", "--max-tokens", "500", "--systems", "fairseq lstm",
                  "rnn_luong --input-feeding 0", "floor", "--json", out, check=True)
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in proc.stdout.splitlines()
            if line.startswith("| ") and "---" not in line]
    assert [r[0] for r in rows] == ["system", "fairseq lstm", "rnn_luong --input-feeding 0",
                                    "floor"]
    assert rows[1][3] == "1.00"                        # train tok/s x lstm
    assert rows[3][4:7] == ["-", "-", "-"] and rows[3][8] == "-"  # no generation, no BLEU
    results = {r["system"]: r for r in json.loads(out.read_text())}
    floor = results["floor"]
    assert floor["train_tokens_per_s"] > 0 and floor["gen_tokens_per_s"] is None
    assert results["fairseq lstm"]["gen_tokens_per_s"] > 0 and floor["bleu"] is None
    vs, vt = (len((trained.data_bin / f"dict.{lang}.txt").read_text().splitlines()) + 4
              for lang in ("de", "en"))
    e, h, d = 16, 16, 24
    def lstm(i, n, dirs):   # an LSTM's weights and both biases
        return dirs * (4 * n * (i + n) + 8 * n)

    assert floor["params"] == ((vs + vt) * e + lstm(e, h, 2) + (2 * h * d + d)
                               + lstm(e, d, 1) + (d * vt + vt))


# --------------------------------------------------------------------------- average_checkpoints
def test_average_checkpoints_means_the_weights_and_the_mean_generates(trained, tmp_path):
    import torch

    save = tmp_path / "ckpt"
    train_tiny(trained.data_bin, save, "--max-update", "12", "--save-interval-updates", "4",
               "--keep-interval-updates", "-1", "--disable-validation")
    names = sorted(p.name for p in save.glob("checkpoint_*_*.pt"))
    assert names == ["checkpoint_1_4.pt", "checkpoint_1_8.pt", "checkpoint_2_12.pt"], names
    avg = tmp_path / "avg.pt"
    proc = script("average_checkpoints.py", "--inputs", save, "--num-update-checkpoints", "2",
                  "--output", avg, check=True)
    assert "checkpoint_2_12.pt, checkpoint_1_8.pt" in proc.stdout

    load = lambda p: torch.load(p, map_location="cpu", weights_only=False)  # noqa: E731
    a, b, out = load(save / "checkpoint_2_12.pt"), load(save / "checkpoint_1_8.pt"), load(avg)
    assert out["model"].keys() == a["model"].keys()
    moved = 0
    for k, v in out["model"].items():
        assert v.dtype == a["model"][k].dtype
        assert torch.allclose(v, (a["model"][k] + b["model"][k]) / 2, atol=1e-7), k
        moved += not torch.equal(a["model"][k], b["model"][k])
    assert moved > 0  # the two inputs differ, so the mean is neither of them
    assert out["optimizer_history"][-1]["num_updates"] == 12  # the newest input's history

    gen = run([cli("fairseq-generate"), trained.data_bin, "--path", avg, "--user-dir", PLUGIN_DIR,
               "--gen-subset", "test", "--beam", "2", "--max-len-a", "0", "--max-len-b", "10",
               "--batch-size", "16", "--cpu"])
    assert len(re.findall(r"^H-\d+\t", gen.stdout, re.M)) == HELDOUT_LINES

    # bad input: one line each, nothing written or overwritten
    before = avg.read_bytes()
    assert_one_line_error(script("average_checkpoints.py", "--inputs", save, "--output", avg,
                                 "--num-update-checkpoints", "2"), "exists; pass --force")
    assert avg.read_bytes() == before
    assert_one_line_error(script("average_checkpoints.py", "--inputs", save, "--output",
                                 tmp_path / "x.pt", "--num-update-checkpoints", "4"),
                          "has 3 checkpoints named checkpoint_EPOCH_UPDATES.pt",
                          "fewer than the 4 asked for")
    assert_one_line_error(script("average_checkpoints.py", "--inputs", save, "--output",
                                 tmp_path / "x.pt", "--num-update-checkpoints", "0"),
                          "must be at least 1, got 0")
    other = a.copy()
    other["model"] = {k: v for k, v in a["model"].items() if "decoder" not in k}
    torch.save(other, tmp_path / "other.pt")
    assert_one_line_error(script("average_checkpoints.py", "--inputs", save / "checkpoint_1_4.pt",
                                 tmp_path / "other.pt", "--output", tmp_path / "x.pt"),
                          "holds another model")
    (tmp_path / "empty.pt").write_bytes(b"")
    assert_one_line_error(script("average_checkpoints.py", "--inputs", tmp_path / "empty.pt",
                                 save / "checkpoint_1_4.pt", "--output", tmp_path / "x.pt"),
                          "cannot load checkpoint", "empty.pt: EOFError")
    assert_one_line_error(script("average_checkpoints.py", "--inputs", tmp_path / "none",
                                 "--num-update-checkpoints", "2", "--output", tmp_path / "x.pt"),
                          "not found")
    assert not (tmp_path / "x.pt").exists()


# ----------------------------------------------------------------------------- cpu_bf16_pays

@pytest.mark.parametrize("margin,expected", [("0", "1"), ("1000", "0"), (None, None)])
def test_cpu_bf16_pays_prints_its_choice_and_the_timings_behind_it(margin, expected):
    """recipe_gec.sh's CPU_BF16=auto reads this one digit; the choice must follow the
    measured ratio and --margin (0: bf16 always pays, 1000: never; by default, whatever
    the ratio this CPU shows against the default margin of 1.1)."""
    args = ["--threads", "1", "--tokens", "400", "--vocab", "500", "--repeats", "1"]
    proc = script("cpu_bf16_pays.py", *args, *(["--margin", margin] if margin else []),
                  check=True)
    m = re.fullmatch(r"cpu_bf16_pays: fp32 \d+ ms, bf16 autocast \d+ ms a step "
                     r"\(([\d.]+)x\), threads 1: (fp32|bf16)", proc.stderr.strip())
    assert m, proc.stderr
    ratio, chosen = float(m.group(1)), m.group(2)
    assert proc.stdout == ("1\n" if chosen == "bf16" else "0\n")
    if expected is None:  # the default margin (the printed ratio is rounded)
        if abs(ratio - 1.1) < 0.01:
            return
        expected = "1" if ratio > 1.1 else "0"
    assert proc.stdout.strip() == expected
