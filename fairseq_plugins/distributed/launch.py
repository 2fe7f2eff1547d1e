"""How the ranks of a data-parallel run start: on CPU (gloo) and GPU, spawned or torchrun's.

fairseq 0.12 counts CUDA devices only: on a CPU ``fairseq-train --cpu
--distributed-world-size N`` fails its assertion "world size is N but have 0 available
devices", ``torchrun ... --distributed-world-size N`` divides by
``torch.cuda.device_count()`` in every rank, and ``torchrun`` without
``--distributed-world-size`` (whose default is the number of GPUs, 1 without one) makes
every process train the whole corpus alone. :func:`call_main` replaces fairseq's
``distributed_utils.call_main``, and decides the launch itself, on CPU and GPU alike
unless it says CPU:

- ``--distributed-world-size N`` without a launcher spawns N processes (CPU: at most one
  per core, each with ``cores // N`` threads unless ``OMP_NUM_THREADS`` is set), through a
  target that imports the plugin first, so that its fixes and features hold in every rank
  from the start; a free port is chosen unless ``--distributed-port`` names one, which
  must be free.
- Under ``torchrun`` (``WORLD_SIZE``, ``RANK``, ``MASTER_ADDR``, ``MASTER_PORT`` set) the
  job's world size is torchrun's; ``--distributed-world-size`` may repeat it and may not
  contradict it.
- On CPU the backend is gloo: nccl, fairseq's default, is replaced (and the log says so)
  unless the user asked for it, which is an error.

:func:`distributed_init` replaces fairseq's ``distributed_utils.distributed_init``:
joining the process group is bounded by ``--heartbeat-timeout`` seconds (300 when it is
not set), instead of torch's 30 minutes, and a rank whose peers never come stops with one
line that says how many ranks it waited for and where.

Anything that cannot be honoured raises :class:`fairseq_plugins.errors.DistributedError`:
one line, no traceback, in the launching process or in the rank that met it.
"""
import argparse
import datetime
import logging
import os
import socket
import sys
import warnings

import torch
import torch.distributed as dist
from fairseq.distributed import utils as distributed_utils

from fairseq_plugins.errors import DistributedError
from preprocess.texttools.errors import InputError

logger = logging.getLogger("fairseq_plugins.distributed")

#: seconds a rank waits for all the others to join when --heartbeat-timeout is not set
DEFAULT_JOIN_TIMEOUT_S = 300
_TORCHRUN_ENV = ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK")

# fairseq's functions this package replaced (install)
_original = {}


# ------------------------------------------------------------------ what the user asked for

def _on_cpu(cfg) -> bool:
    return bool(cfg.common.cpu) or not torch.cuda.is_available()


def _given(flag: str, argv=None) -> bool:
    """Whether ``--flag`` (argparse) or ``distributed_training.key=`` (hydra) is in argv."""
    argv = sys.argv if argv is None else argv
    key = "distributed_training." + flag.lstrip("-").replace("-", "_") + "="
    return any(a == flag or a.startswith(flag + "=") or a.startswith(key) for a in argv)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ the launch plan

def _check_backend(cfg):
    dt = cfg.distributed_training
    if not _on_cpu(cfg) or dt.distributed_backend != "nccl":
        return
    if _given("--distributed-backend"):
        raise DistributedError("--distributed-backend nccl needs CUDA GPUs; this run is on "
                               "the CPU (--cpu or no GPU): use --distributed-backend gloo")
    dt.distributed_backend = "gloo"
    logger.info("distributed training on the CPU: backend gloo (nccl needs GPUs)")


def _adopt_torchrun(cfg) -> bool:
    """Take world size and rank from torchrun's environment; False when not under torchrun."""
    if not all(key in os.environ for key in _TORCHRUN_ENV):
        return False
    dt = cfg.distributed_training
    world = int(os.environ["WORLD_SIZE"])
    asked = dt.distributed_world_size
    if asked != world and _given("--distributed-world-size"):
        raise DistributedError(
            f"torchrun started {world} process(es) but --distributed-world-size is {asked}: "
            f"drop the option (the world size is torchrun's) or start {asked} processes")
    if world == 1:
        return False
    dt.distributed_world_size = world
    dt.distributed_rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dt.device_id = local_rank if _on_cpu(cfg) else local_rank % torch.cuda.device_count()
    dt.distributed_init_method = "env://"
    dt.distributed_no_spawn = True
    return True


def _plan_spawn(cfg) -> int:
    """Check a single-machine spawn of the world size; return how many processes to start."""
    dt = cfg.distributed_training
    world = dt.distributed_world_size
    if _on_cpu(cfg):
        if world > _cores():
            raise DistributedError(
                f"--distributed-world-size {world} on the CPU, but this machine gives the "
                f"job {_cores()} core(s): one rank needs one core; use at most {_cores()}")
    elif world > torch.cuda.device_count():
        raise DistributedError(
            f"--distributed-world-size {world}, but this machine has "
            f"{torch.cuda.device_count()} GPU(s): start the other ranks on other machines "
            f"(torchrun --nnodes, docs/distributed.md) or lower the world size")
    if dt.distributed_port > 0:
        if not _port_is_free(dt.distributed_port):
            raise DistributedError(f"--distributed-port {dt.distributed_port} is in use on "
                                   f"this machine: choose another port, or leave it out")
    else:
        dt.distributed_port = _free_port()
    dt.distributed_init_method = f"tcp://localhost:{dt.distributed_port}"
    return world


def _slurm_job() -> bool:
    return any(k in os.environ for k in ("SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST"))


def call_main(cfg, main, **kwargs):
    """fairseq's ``call_main``, with the launch decided here where fairseq's would fail."""
    dt = cfg.distributed_training
    if dt.distributed_init_method is not None or cfg.common.tpu:
        if _on_cpu(cfg) and dt.distributed_world_size > 1 and not dt.distributed_no_spawn:
            raise DistributedError(
                "--distributed-init-method on the CPU: start each rank yourself with "
                "--distributed-no-spawn --distributed-rank R, or use torchrun")
        _check_backend(cfg)
        return _original["call_main"](cfg, main, **kwargs)
    if _adopt_torchrun(cfg):
        _check_backend(cfg)
        return distributed_utils.distributed_main(dt.device_id, main, cfg, kwargs)
    if dt.distributed_world_size > 1 and not _slurm_job():
        nprocs = _plan_spawn(cfg)
        _check_backend(cfg)
        return _spawn(cfg, main, kwargs, nprocs)
    if dt.distributed_world_size > 1 and _on_cpu(cfg):
        raise DistributedError("SLURM on the CPU: launch the ranks with torchrun inside "
                               "the job (docs/distributed.md)")
    return _original["call_main"](cfg, main, **kwargs)


# ------------------------------------------------------------------ the ranks

def _spawn(cfg, main, kwargs, nprocs):
    """Start the ranks of one machine; a rank's one-line error becomes the job's."""
    dt = cfg.distributed_training
    kwargs = dict(kwargs, start_rank=dt.distributed_rank)
    dt.distributed_rank = None  # each rank's own, from its index
    threads = max(1, _cores() // nprocs) if _on_cpu(cfg) else 0
    errors = torch.multiprocessing.get_context("spawn").SimpleQueue()
    logger.info("starting %d ranks on this machine (%s, %s)", nprocs,
                dt.distributed_init_method, dt.distributed_backend)
    try:
        torch.multiprocessing.spawn(fn=_spawned_rank, nprocs=nprocs, join=True,
                                    args=(main, cfg, kwargs, threads, errors))
    except torch.multiprocessing.ProcessExitedException as exc:
        if not errors.empty():
            raise RankError(errors.get()) from None
        raise DistributedError(f"rank {exc.error_index} stopped "
                               f"({exc.signal_name or f'exit status {exc.exit_code}'}); "
                               f"the job stopped with it") from None


class RankError(InputError):
    """The one-line error of a rank, raised again in the process that started it."""


def _spawned_rank(index, main, cfg, kwargs, threads, errors):
    """One rank, in a fresh process: the plugin's fixes first, then fairseq's rank."""
    import fairseq_plugins  # noqa: F401  (applies the fixes and features here)

    if threads and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(threads)
    try:
        distributed_utils.distributed_main(index, main, cfg, kwargs)
    except InputError as exc:  # the parent prints it, once for the job
        errors.put(" ".join(str(exc).split()))
        sys.exit(1)


def _join_timeout(dt) -> datetime.timedelta:
    seconds = dt.heartbeat_timeout if dt.heartbeat_timeout > 0 else DEFAULT_JOIN_TIMEOUT_S
    return datetime.timedelta(seconds=seconds)


def _explain_join_failure(exc, dt, timeout) -> str:
    text = " ".join(str(exc).split())
    where = dt.distributed_init_method
    if "address already in use" in text.lower() or "EADDRINUSE" in text:
        return (f"the port of {where} is in use: choose another --distributed-port "
                f"(or torchrun --master-port)")
    if "timed out" in text.lower() or "timeout" in text.lower():
        return (f"rank {dt.distributed_rank} waited {int(timeout.total_seconds())} s at "
                f"{where} for all {dt.distributed_world_size} ranks to join, and they did "
                f"not: start {dt.distributed_world_size} ranks, or lower "
                f"--distributed-world-size (--heartbeat-timeout sets the wait)")
    return f"rank {dt.distributed_rank} could not join {where}: {text[:300]}"


def distributed_init(cfg):
    """Join the process group with a bounded wait, then let fairseq do the rest."""
    if isinstance(cfg, argparse.Namespace):
        return _original["distributed_init"](cfg)  # fairseq converts it, then joins
    dt = cfg.distributed_training
    if not cfg.common.tpu and not dist.is_initialized():
        timeout = _join_timeout(dt)
        logger.info("distributed init (rank %s): %s", dt.distributed_rank,
                    dt.distributed_init_method)
        try:
            dist.init_process_group(backend=dt.distributed_backend,
                                    init_method=dt.distributed_init_method,
                                    world_size=dt.distributed_world_size,
                                    rank=dt.distributed_rank, timeout=timeout)
        except (RuntimeError, ValueError) as exc:  # DistNetworkError, DistStoreError, ...
            raise DistributedError(_explain_join_failure(exc, dt, timeout)) from None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Distributed is already initialized")
        return _original["distributed_init"](cfg)


def install():
    if "call_main" in _original:
        return
    _original["call_main"] = distributed_utils.call_main
    _original["distributed_init"] = distributed_utils.distributed_init
    distributed_utils.call_main = call_main
    distributed_utils.distributed_init = distributed_init
