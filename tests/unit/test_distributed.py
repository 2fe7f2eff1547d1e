"""How fairseq_plugins.distributed plans a data-parallel launch, before any process starts.

The configurations are fairseq's own dataclasses; the environment and command line of a
launch (torchrun's variables, the flags the user typed) are set with monkeypatch. The
launches themselves run in tests/integration/test_distributed.py.
"""
import socket
import sys

import pytest
import torch
import torch.distributed as dist
from fairseq.dataclass.configs import CommonConfig, DistributedTrainingConfig
from fairseq.models import distributed_fairseq_model
from omegaconf import OmegaConf

from fairseq_plugins.compat import ddp_cpu_module
from fairseq_plugins.distributed import launch, sync
from fairseq_plugins.errors import DistributedError

TORCHRUN = {"MASTER_ADDR": "localhost", "MASTER_PORT": "29500", "WORLD_SIZE": "2",
            "RANK": "1", "LOCAL_RANK": "1"}


def config(**distributed_options):
    return OmegaConf.create({
        "common": OmegaConf.structured(CommonConfig(cpu=True)),
        "distributed_training": OmegaConf.structured(
            DistributedTrainingConfig(**distributed_options)),
    })


@pytest.fixture
def argv(monkeypatch):
    def set_argv(*args):
        monkeypatch.setattr(sys, "argv", ["fairseq-train", "data", *args])
    set_argv()
    return set_argv


@pytest.fixture
def under_torchrun(monkeypatch):
    for key, value in TORCHRUN.items():
        monkeypatch.setenv(key, value)


def test_nccl_is_replaced_by_gloo_on_the_cpu_unless_asked_for(argv):
    cfg = config(distributed_world_size=2, distributed_backend="nccl")
    launch._check_backend(cfg)
    assert cfg.distributed_training.distributed_backend == "gloo"
    argv("--distributed-backend", "nccl")
    cfg = config(distributed_world_size=2, distributed_backend="nccl")
    with pytest.raises(DistributedError, match="nccl needs CUDA GPUs"):
        launch._check_backend(cfg)


def test_torchrun_gives_the_world_size(argv, under_torchrun):
    cfg = config(distributed_world_size=1)   # fairseq's default on a CPU
    assert launch._adopt_torchrun(cfg)
    dt = cfg.distributed_training
    assert (dt.distributed_world_size, dt.distributed_rank, dt.device_id) == (2, 1, 1)
    assert dt.distributed_init_method == "env://" and dt.distributed_no_spawn
    argv("--distributed-world-size", "2")
    assert launch._adopt_torchrun(config(distributed_world_size=2))


@pytest.mark.parametrize("asked", ["4", "1"])
def test_a_world_size_torchrun_did_not_start_is_an_error(argv, under_torchrun, asked):
    argv(f"--distributed-world-size={asked}")
    with pytest.raises(DistributedError, match=f"torchrun started 2 process.*is {asked}"):
        launch._adopt_torchrun(config(distributed_world_size=int(asked)))


def test_not_under_torchrun_nothing_is_adopted(argv, monkeypatch):
    for key in TORCHRUN:
        monkeypatch.delenv(key, raising=False)
    assert not launch._adopt_torchrun(config(distributed_world_size=2))
    monkeypatch.setenv("MASTER_ADDR", "x")   # a partial environment is not torchrun's
    assert not launch._adopt_torchrun(config(distributed_world_size=2))


def test_spawn_on_the_cpu_gets_a_free_port_and_one_core_per_rank(argv, monkeypatch):
    monkeypatch.setattr(launch, "_cores", lambda: 2)
    cfg = config(distributed_world_size=2)
    assert launch._plan_spawn(cfg) == 2
    dt = cfg.distributed_training
    assert dt.distributed_init_method == f"tcp://localhost:{dt.distributed_port}"
    assert dt.distributed_port > 0
    with pytest.raises(DistributedError, match="world-size 3 on the CPU.*2 core"):
        launch._plan_spawn(config(distributed_world_size=3))


def test_a_port_in_use_is_an_error(argv):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(DistributedError, match=f"port {port} is in use"):
            launch._plan_spawn(config(distributed_world_size=2, distributed_port=port))


def test_an_init_method_on_the_cpu_needs_ranks_started_by_hand(argv):
    cfg = config(distributed_world_size=2, distributed_init_method="tcp://localhost:1")
    with pytest.raises(DistributedError, match="--distributed-no-spawn"):
        launch.call_main(cfg, main=None)


def test_given_reads_argparse_and_hydra_spellings():
    assert launch._given("--distributed-port", ["x", "--distributed-port", "5"])
    assert launch._given("--distributed-port", ["--distributed-port=5"])
    assert launch._given("--distributed-port", ["distributed_training.distributed_port=5"])
    assert not launch._given("--distributed-port", ["--distributed-port-x", "5"])


class Frozen(torch.nn.Module):
    ddp_find_unused_parameters = True

    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 2)


@pytest.fixture
def one_rank_group(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}",
                            world_size=1, rank=0)
    yield
    dist.destroy_process_group()


def test_ddp_takes_a_cpu_module_and_is_told_about_frozen_embeddings(one_rank_group, caplog):
    # the class fairseq builds: compat.ddp_cpu_module's, with the plugin's unused parameters
    ddp = distributed_fairseq_model.DistributedDataParallel
    assert issubclass(ddp, ddp_cpu_module.CpuModuleDDP)
    plain = ddp(torch.nn.Linear(2, 2), device_ids=[0], output_device=0)
    assert plain.device_ids is None and not plain.find_unused_parameters
    with caplog.at_level("INFO", logger="fairseq_plugins.distributed"):
        frozen = ddp(Frozen(), device_ids=[0], output_device=0)
    assert frozen.find_unused_parameters
    assert "DDP looks for unused parameters" in caplog.text


def test_the_fix_alone_drops_device_ids_for_a_cpu_module(one_rank_group):
    with pytest.raises(ValueError, match="device_ids and output_device"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2), device_ids=[0],
                                                  output_device=0)
    fixed = ddp_cpu_module.CpuModuleDDP(torch.nn.Linear(2, 2), device_ids=[0], output_device=0)
    assert fixed.device_ids is None and not fixed.find_unused_parameters


def test_parameter_digest_sees_one_bit():
    torch.manual_seed(0)
    a, b = torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    b.load_state_dict(a.state_dict())
    assert sync.parameter_digest(a) == sync.parameter_digest(b)
    with torch.no_grad():
        bits = b.weight.view(torch.int32)
        bits[0, 0] ^= 1   # the lowest bit of one float
    assert sync.parameter_digest(a) != sync.parameter_digest(b)
