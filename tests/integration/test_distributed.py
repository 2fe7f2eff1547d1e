"""Data-parallel training on the CPU (gloo) through fairseq's own launchers.

Two ranks, a few updates of a 32-unit model on the word-level Multi30k slice, dropout 0.
Each rank hashes its parameters at every checkpoint (``fairseq_plugins.distributed.sync``):
rank 0 logs the hash when all agree, a disagreement stops the job. ``fairseq-train
--distributed-world-size 2`` (fairseq's spawn) and ``torchrun`` (without the option, the
case that used to train two independent copies) must give the same parameters, bit for
bit, and one process with ``--update-freq 2`` the same to float tolerance: fairseq gives
rank r the batches r, r+2, ... of the same batch list, so an update of the two ranks sums
the gradients of the two batches one process accumulates. Runs that cannot start stop
with one line. Each run spends ~5 s per process importing torch and fairseq, so runs that
do not depend on each other go side by side.
"""
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

import torch

from support import assert_cli_error, cli, hydra_train_cmd, run, train_cmd

from fairseq_plugins.distributed.launch import _free_port

DDP = ["--cpu", "--dropout", "0", "--max-tokens", "1000", "--log-interval", "2",
       "--disable-validation"]
SYNCED = re.compile(r"parameters identical on all 2 ranks at update (\d+) \(sha256 (\w+)\)")


def train(data, save, arch="rnn_luong", updates=6, extra=(), launcher=()):
    cmd = train_cmd(data, save, arch=arch, updates=updates, extra=[*DDP, *extra])
    return [*launcher, *cmd]


def torchrun(nproc=2):
    # --standalone: a free port of its own, so that runs side by side do not meet
    return [cli("torchrun"), "--standalone", "--nproc_per_node", str(nproc)]


def side_by_side(*cmds, check=True):
    with ThreadPoolExecutor(len(cmds)) as pool:
        return list(pool.map(lambda cmd: run(cmd, check=check, input=""), cmds))


def synced(proc):
    """{update: sha256 prefix} of the sync checks rank 0 logged."""
    return {int(u): h for u, h in SYNCED.findall(proc.stdout + proc.stderr)}


def params(checkpoint):
    return torch.load(checkpoint, map_location="cpu", weights_only=False)["model"]


def test_two_cpu_ranks_train_one_job_in_sync_whichever_launcher(m30k_bin, tmp_path):
    every3 = ["--save-interval-updates", "3"]
    spawned, torchran, single = side_by_side(
        train(m30k_bin, tmp_path / "spawn", extra=[*every3, "--distributed-world-size", "2"]),
        train(m30k_bin, tmp_path / "torchrun", extra=every3, launcher=torchrun()),
        train(m30k_bin, tmp_path / "single", extra=[*every3, "--update-freq", "2"]))
    # every rank held the same parameters at both checkpoints, and both launchers agree
    assert sorted(synced(spawned)) == [3, 6], spawned.stderr[-3000:]
    assert synced(torchran) == synced(spawned), torchran.stderr[-3000:]
    assert "training on 2 devices" in torchran.stdout + torchran.stderr
    # one process accumulating the same two batches per update
    assert not synced(single)
    two, one = params(tmp_path / "spawn" / "checkpoint_last.pt"), params(
        tmp_path / "single" / "checkpoint_last.pt")
    assert two.keys() == one.keys()
    for name in two:
        torch.testing.assert_close(two[name], one[name], rtol=1e-5, atol=1e-6, msg=name)

    # rank 0 alone saved; a 2-rank run killed after update 3 resumes there and ends
    # where the uninterrupted run ended, bit for bit
    assert sorted(p.name for p in (tmp_path / "spawn").iterdir()) == [
        "checkpoint_1_3.pt", "checkpoint_1_6.pt", "checkpoint_last.pt"]
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    shutil.copy(tmp_path / "spawn" / "checkpoint_1_3.pt", resumed / "checkpoint_last.pt")
    again = run(train(m30k_bin, resumed, extra=[*every3, "--distributed-world-size", "2"]))
    log = again.stdout + again.stderr
    assert re.search(r"Loaded checkpoint \S+checkpoint_last\.pt \(epoch 1 @ 3 updates\)", log)
    assert synced(again) == {6: synced(spawned)[6]}, log[-3000:]


def test_frozen_embeddings_stay_identical_on_every_rank_until_the_unfreeze_update(
        m30k_bin, tmp_path):
    """With the other features that meet DDP in their own way: scheduled sampling draws
    random numbers in every rank, --cpu-bf16 runs the forward under bf16 autocast."""
    proc = run(train(m30k_bin, tmp_path, arch="rnn_bahdanau", updates=5, extra=[
        "--freeze-embeddings", "1", "--unfreeze-embeddings-after", "3",
        "--teacher-forcing-ratio", "0.5", "--cpu-bf16", "1",
        "--save-interval-updates", "1", "--distributed-world-size", "2"]))
    log = proc.stdout + proc.stderr
    # no user flag: the plugin told DDP that frozen embeddings get no gradient
    assert "DDP looks for unused parameters" in log
    assert sorted(synced(proc)) == [1, 2, 3, 4, 5], log[-3000:]
    checkpoints = [params(tmp_path / f"checkpoint_1_{u}.pt") for u in range(1, 6)]
    for name in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
        moved = [not torch.equal(checkpoints[0][name], c[name]) for c in checkpoints]
        assert moved == [False, False, False, True, True], name
    assert not torch.equal(checkpoints[0]["decoder.output_projection.weight"],
                           checkpoints[1]["decoder.output_projection.weight"])


def test_copy_attention_and_coverage_stay_identical_on_every_rank(m30k_joined_bin, tmp_path):
    """Copy attention's gate and coverage's w_c are parameters like the others, and the
    coverage loss reaches every rank's gradient: the ranks agree at each update."""
    proc = run(train(m30k_joined_bin, tmp_path, updates=4, extra=[
        "--copy-attention", "1", "--coverage", "1", "--save-interval-updates", "2",
        "--distributed-world-size", "2"]))
    log = proc.stdout + proc.stderr
    assert sorted(synced(proc)) == [2, 4], log[-3000:]
    assert "coverage_loss" in log
    first, last = (params(tmp_path / f"checkpoint_1_{u}.pt") for u in (2, 4))
    for name in ("decoder.copy_gate.weight", "decoder.attention.coverage_weight"):
        assert not torch.equal(first[name], last[name]), name


def test_impossible_distributed_runs_stop_with_one_line(m30k_bin, tmp_path):
    """One line, from the launching process or from the rank that met the problem, and
    no hang. (World sizes that cannot start, ports in use and torchrun's world size are
    decided before any rank starts: tests/unit/test_distributed.py.)"""
    cases = {
        "--distributed-backend nccl needs CUDA GPUs":
            ["--distributed-world-size", "2", "--distributed-backend", "nccl"],
        # rank 0 of 2, started alone: it waits --heartbeat-timeout seconds, not 30 minutes
        "rank 0 waited 3 s at tcp://localhost:":
            ["--distributed-rank", "0", "--distributed-world-size", "2",
             "--distributed-no-spawn", "--heartbeat-timeout", "3",
             "--distributed-init-method", f"tcp://localhost:{_free_port()}"],
        # both ranks meet it; the job says it once
        "--teacher-forcing-ratio must be in [0, 1]":
            ["--distributed-world-size", "2", "--teacher-forcing-ratio", "2"],
    }
    # fairseq-hydra-train decides the launch before it imports the plugin: the plugin's
    # entry point imports it first
    hydra = [sys.executable, "-m", "fairseq_plugins.hydra_train",
             *hydra_train_cmd("multi30k_luong", m30k_bin, tmp_path / "hydra",
                              "common.cpu=true", "distributed_training.distributed_world_size=2",
                              "distributed_training.distributed_backend=nccl")[1:]]
    *procs, hydra = side_by_side(*[train(m30k_bin, tmp_path / str(i), updates=2, extra=extra)
                                   for i, extra in enumerate(cases.values())], hydra,
                                 check=False)
    for message, proc in zip(cases, procs):
        assert_cli_error(proc, message)
    assert hydra.returncode == 1 and "Traceback" not in hydra.stderr, hydra.stderr[-3000:]
    assert "\n--distributed-backend nccl needs CUDA GPUs" in hydra.stderr, hydra.stderr[-3000:]
