"""The plugin as a user meets it: fairseq's own command-line tools, end to end.

preprocess -> fairseq-train -> fairseq-generate -> fairseq-interactive, fairseq-hydra-train
with the shipped config, checkpoint loading under PyTorch's weights_only default, and a
killed training run resumed from checkpoint_last.pt.
"""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from support import (PLUGIN_DIR, REPO, cli, hydra_train_cmd, run, small_test_bin, train_cmd,
                      train_losses)


def test_plugin_registers_models_and_tasks():
    out = run([sys.executable, "-c",
               "import fairseq_plugins\n"
               "from fairseq.models import ARCH_MODEL_REGISTRY, MODEL_DATACLASS_REGISTRY\n"
               "from fairseq.tasks import TASK_REGISTRY\n"
               "print(sorted(a for a in ARCH_MODEL_REGISTRY if a.startswith('rnn_')))\n"
               "print('rnn_seq2seq' in MODEL_DATACLASS_REGISTRY, 'gec' in TASK_REGISTRY)\n"
               "import sys; print('torchaudio' in sys.modules)"], cwd=REPO)
    lines = out.stdout.strip().splitlines()
    assert lines[0] == str(sorted(["rnn_bahdanau", "rnn_cho", "rnn_gec", "rnn_luong",
                                   "rnn_seq2seq", "rnn_sutskever"]))
    assert lines[1] == "True True"
    assert lines[2] == "False", \
        "the plugin must not import torchaudio (it does not load with torch 2.13)"


@pytest.fixture(scope="module")
def trained(m30k_spm, tmp_path_factory):
    save = tmp_path_factory.mktemp("ckpt")
    proc = run(train_cmd(m30k_spm / "bin", save, updates=30))
    return m30k_spm, save, proc.stdout + proc.stderr


def test_train_generate_interactive(trained):
    data, save, log = trained
    losses = train_losses(log)
    assert len(losses) >= 4 and losses[-1] < losses[0]
    assert (save / "checkpoint_last.pt").exists() and (save / "checkpoint_best.pt").exists()

    gen = run([cli("fairseq-generate"), data / "bin", "--user-dir", PLUGIN_DIR,
               "--path", save / "checkpoint_best.pt", "--beam", "5", "--batch-size", "32",
               "--post-process", "sentencepiece", "--max-len-a", "1.2", "--max-len-b", "10"])
    hyps = [line for line in gen.stdout.splitlines() if line.startswith("D-")]
    assert len(hyps) == len((data / "raw" / "test.en").read_text().splitlines())
    assert "BLEU4" in gen.stdout

    spm = data / "spm" / "joint.model"
    inter = run([cli("fairseq-interactive"), data / "bin", "--user-dir", PLUGIN_DIR,
                 "--path", save / "checkpoint_best.pt", "--beam", "5", "--source-lang", "de",
                 "--target-lang", "en", "--bpe", "sentencepiece", "--sentencepiece-model", spm,
                 "--max-len-a", "1.2", "--max-len-b", "10"],
                input="Ein Mann fährt Fahrrad.\nZwei Hunde spielen im Schnee.\n")
    detok = [line for line in inter.stdout.splitlines() if line.startswith("D-")]
    assert len(detok) == 2
    assert all("\u2581" not in line for line in detok), "sentencepiece pieces were not detokenised"


def test_checkpoint_needs_the_plugin_and_refuses_other_globals(trained, tmp_path):
    _, save, _ = trained
    ckpt = save / "checkpoint_last.pt"
    # it loads with weights_only still on
    ok = run([sys.executable, "-c", "import fairseq_plugins, torch\n"
              f"s = torch.load({str(ckpt)!r}); print(s['optimizer_history'][-1]['num_updates'])"],
             cwd=REPO)
    assert ok.stdout.strip() == "30"
    # a checkpoint that also pickles os.system is still refused, by fairseq-generate too
    state = torch.load(ckpt, weights_only=False)
    state["extra_state"]["payload"] = os.system
    evil = tmp_path / "evil.pt"
    torch.save(state, evil)
    load_evil = f"import fairseq_plugins, torch; torch.load({str(evil)!r})"
    refused = run([sys.executable, "-c", load_evil],
                  cwd=REPO, check=False)
    assert refused.returncode != 0 and "GLOBAL posix.system" in refused.stderr
    gen = run([cli("fairseq-generate"), trained[0] / "bin", "--user-dir", PLUGIN_DIR,
               "--path", evil, "--max-sentences", "4"], check=False)
    assert gen.returncode != 0 and "posix.system" in gen.stderr


def test_legacy_argparse_checkpoint_loads(m30k_spm, tmp_path):
    """fairseq's own legacy ``lstm`` pickles an argparse.Namespace: allowed, and generates."""
    save = tmp_path / "lstm"
    run([cli("fairseq-train"), m30k_spm / "bin", "--user-dir", PLUGIN_DIR, "--arch", "lstm",
         "--encoder-embed-dim", "16", "--encoder-hidden-size", "16", "--decoder-embed-dim", "16",
         "--decoder-hidden-size", "16", "--decoder-out-embed-dim", "16", "--optimizer", "adam",
         "--max-tokens", "2000", "--max-update", "2", "--save-dir", save, "--no-epoch-checkpoints"])
    ckpt = save / "checkpoint_last.pt"
    # without the plugin (a fresh interpreter: this one may have imported it already),
    # PyTorch's weights_only default refuses it ...
    bare = run([sys.executable, "-c", f"import torch; torch.load({str(ckpt)!r})"], check=False)
    assert bare.returncode != 0 and "argparse.Namespace" in bare.stderr
    # ... with it, weights_only stays on and the checkpoint loads
    run([sys.executable, "-c", f"import fairseq_plugins, torch; torch.load({str(ckpt)!r})"],
        cwd=REPO)
    gen = run([cli("fairseq-generate"), m30k_spm / "bin", "--user-dir", PLUGIN_DIR,
               "--path", save / "checkpoint_last.pt", "--max-sentences", "16", "--max-len-b", "5"])
    assert "Generate test" in gen.stdout


def test_hydra_train_with_shipped_config(m30k_spm, tmp_path):
    save = tmp_path / "hydra"
    proc = run(hydra_train_cmd("multi30k_luong", m30k_spm / "bin", save,
                               "optimization.max_update=4", "optimization.max_epoch=1",
                               "task.eval_bleu=false", "checkpoint.best_checkpoint_metric=loss",
                               "checkpoint.maximize_best_checkpoint_metric=false"), cwd=tmp_path)
    assert "num_updates 4" in proc.stdout + proc.stderr
    state = torch.load(save / "checkpoint_last.pt", weights_only=False)
    model_cfg = state["cfg"]["model"]
    # the arch preset filled what the config left open
    assert model_cfg["attention"] == "general" and model_cfg["encoder_bidirectional"] == 1
    assert model_cfg["input_feeding"] == 1 and model_cfg["encoder_hidden_size"] == 16


def test_bad_model_options_end_in_one_line_not_a_traceback(m30k_bin, tmp_path):
    """fairseq builds the model deep in its training loop; a bad option must still read as
    one line naming the option, from fairseq-train and from fairseq-hydra-train."""
    vectors = tmp_path / "short.vec"
    vectors.write_text("the 0.1 0.2 0.3\n")
    cases = [(["--init-scale", "-1"], "--init-scale must be >= 0"),
             (["--attention", "dot"], "dot attention needs the decoder hidden size (32)"),
             (["--bridge", "concat"], "bridge 'concat' needs decoder hidden size = 2 x 32"),
             (["--teacher-forcing-ratio", "1.5"], "--teacher-forcing-ratio must be in [0, 1]"),
             (["--encoder-embed-path", vectors], "line 1: expected a word and 32 numbers"),
             (["--criterion", "edit_weighted_cross_entropy", "--edit-weight", "0"],
              "--edit-weight must be positive, got 0.0")]
    for extra, message in cases:
        proc = run(train_cmd(m30k_bin, tmp_path / "ck", extra=extra), check=False)
        last = proc.stderr.strip().splitlines()[-1]
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert last.startswith("fairseq-train: error: ") and message in last, last
    assert not (tmp_path / "ck" / "checkpoint_last.pt").exists()
    proc = run(hydra_train_cmd("multi30k_luong", m30k_bin, tmp_path / "hy", "+model.init_scale=-1"),
               cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "--init-scale must be >= 0 (0: PyTorch's defaults), got -1.0\n" in proc.stderr


def positional_scores(generate_stdout):
    return [[float(x) for x in line.split("\t")[1].split()]
            for line in generate_stdout.splitlines() if line.startswith("P-")]


def test_cpu_bf16_trains_and_generates(m30k_spm, tmp_path):
    """--cpu-bf16 1 takes effect in training and in generation (it is saved with the
    model), stays near fp32, keeps fp32 weights, and --model-overrides turns it off."""
    logs = {}
    for bf16 in (0, 1):
        proc = run(train_cmd(m30k_spm / "bin", tmp_path / f"bf16-{bf16}", updates=15,
                             extra=["--input-feeding", "0", "--cpu-bf16", str(bf16)]))
        logs[bf16] = train_losses(proc.stdout + proc.stderr)
    fp32, bf16 = logs[0], logs[1]
    assert len(bf16) == 3 and bf16[-1] < bf16[0]
    assert all(abs(a - b) < 0.02 * a for a, b in zip(fp32, bf16)), (fp32, bf16)

    ckpt = tmp_path / "bf16-1" / "checkpoint_last.pt"
    state = torch.load(ckpt, weights_only=False)
    assert state["cfg"]["model"]["cpu_bf16"] == 1
    assert {t.dtype for t in state["model"].values()} == {torch.float32}
    # same seed and batches (CPU training is deterministic): only bf16 can move the weights
    # (the logged losses, rounded to 3 decimals, may well agree)
    ref = torch.load(tmp_path / "bf16-0" / "checkpoint_last.pt", weights_only=False)["model"]
    assert any(not torch.equal(ref[k], v) for k, v in state["model"].items()), \
        "bf16 training gave fp32's weights exactly: autocast did not act"

    def generate(*extra):
        out = run([cli("fairseq-generate"), small_test_bin(m30k_spm), "--user-dir", PLUGIN_DIR,
                   "--path", ckpt, "--beam", "5", "--batch-size", "32", "--max-len-b", "10",
                   *extra]).stdout
        return positional_scores(out)

    on, off = generate(), generate("--model-overrides", "{'cpu_bf16': 0}")
    assert len(on) == len(off) == 100
    assert on != off, "generation gave the same scores with and without bf16"


def saved_updates(path):
    return torch.load(path, weights_only=False)["optimizer_history"][-1]["num_updates"]


def _updates_or_none(path, at_least=8):
    """The updates saved in ``path`` once it is complete and holds ``at_least``, else None."""
    try:
        updates = saved_updates(path)
    except Exception:   # not there yet, or fairseq is still copying it
        return None
    return updates if updates >= at_least else None


def test_killed_training_resumes_at_the_same_update(m30k_spm, tmp_path):
    save = tmp_path / "resume"
    cmd = train_cmd(m30k_spm / "bin", save, updates=100000,
                    extra=["--save-interval-updates", "4", "--keep-interval-updates", "-1",
                           "--disable-validation"])
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    proc = subprocess.Popen([str(c) for c in cmd], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    last = save / "checkpoint_last.pt"
    try:
        # fairseq writes checkpoint_1_8.pt, then copies it to checkpoint_last.pt: wait for
        # the copy, else the kill may land before it (checkpoint_last.pt still at 4)
        while time.time() < deadline and _updates_or_none(last) is None:
            time.sleep(0.5)
        assert list(save.glob("checkpoint_*_8.pt")), "no checkpoint written in time"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no clean shutdown: as a killed job
        proc.wait()
    before = {p.name: p.stat().st_size for p in save.glob("*.pt")}
    at_kill = saved_updates(last)
    assert at_kill >= 8 and at_kill % 4 == 0

    resumed = run(train_cmd(m30k_spm / "bin", save, updates=at_kill + 4,
                            extra=["--save-interval-updates", "4", "--keep-interval-updates", "-1",
                                   "--disable-validation"]))
    log = resumed.stdout + resumed.stderr
    assert f"@ {at_kill} updates" in log  # "loaded checkpoint ... (epoch 1 @ N updates)"
    assert saved_updates(last) == at_kill + 4
    for name in before:  # nothing saved before the kill is lost
        assert (save / name).exists(), name


def test_last_batch_is_not_dropped():
    """fairseq 0.12 drops a last batch whose size is not a multiple of 8; the plugin keeps it."""
    code = ("import numpy as np\n"
            "from fairseq.data import data_utils\n"
            "idx = np.arange(100, dtype=np.int64)\n"
            "def sizes():\n"
            "    b = data_utils.batch_by_size(idx, None, num_tokens_vec=np.full(100, 20),\n"
            "                                 max_sentences=64, required_batch_size_multiple=8)\n"
            "    return sorted(int(i) for x in b for i in x), [len(x) for x in b]\n"
            "before = sizes()\n"
            "import fairseq_plugins\n"
            "after = sizes()\n"
            "print(len(before[0]), before[1], after[0] == list(range(100)), after[1])\n")
    out = run([sys.executable, "-c", code], cwd=REPO).stdout.split("\n")[0]
    assert out == "96 [64, 32] True [64, 32, 4]"
