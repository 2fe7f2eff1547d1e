"""fairseq's DistributedDataParallel takes a model on the CPU.

fairseq's ``DistributedFairseqModel`` (``--ddp-backend c10d``/``pytorch_ddp``, the
default) builds PyTorch's ``DistributedDataParallel`` with ``device_ids=[device_id]`` and
``output_device=device_id`` for every model, and PyTorch refuses both for a module whose
parameters are on the CPU ("DistributedDataParallel device_ids and output_device
arguments only work with single-device/multiple-device GPU modules or CPU modules"), so
no data-parallel run can start on CPUs. The class fairseq builds is replaced by a
subclass of it (whatever it is then: the plugin's DDP feature subclasses it the same way, so
the order they are installed in does not matter) that drops both for a module on the CPU
and passes everything else on; a GPU
module gets what fairseq gives it. fairseq also passes ``broadcast_buffers``, which newer
PyTorch warns is deprecated on every construction: that warning is silenced here.
"""
import warnings

import torch
from fairseq.models import distributed_fairseq_model

PROBLEM = ("fairseq builds DistributedDataParallel with device_ids=[0], which PyTorch "
           "refuses for a model on the CPU")
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}   # fairseq alone
TEST = ("tests/integration/test_distributed.py::"
        "test_two_cpu_ranks_train_one_job_in_sync_whichever_launcher")


class CpuModule:
    """Mixed into a DDP class: no ``device_ids``/``output_device`` for a CPU module."""

    def __init__(self, module, device_ids=None, output_device=None, **kwargs):
        if all(p.device.type == "cpu" for p in module.parameters()):
            device_ids = output_device = None  # PyTorch: only for GPU modules
        with warnings.catch_warnings():  # fairseq passes it; torch 2.13 renamed it
            warnings.filterwarnings("ignore", message="`broadcast_buffers` is deprecated")
            super().__init__(module, device_ids=device_ids, output_device=output_device,
                             **kwargs)


class CpuModuleDDP(CpuModule, torch.nn.parallel.DistributedDataParallel):
    """PyTorch's DDP, without fairseq's ``device_ids``/``output_device`` for a CPU module."""


def apply():
    current = distributed_fairseq_model.DistributedDataParallel
    if not issubclass(current, CpuModule):
        distributed_fairseq_model.DistributedDataParallel = (
            CpuModuleDDP if current is torch.nn.parallel.DistributedDataParallel
            else type(f"CpuModule{current.__name__}", (CpuModule, current),
                      {"__module__": __name__}))
