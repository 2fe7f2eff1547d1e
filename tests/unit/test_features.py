"""fairseq_plugins.FEATURES: the plugin's additions to fairseq's CLIs, installed once, after
the fixes of fairseq problems (fairseq_plugins.compat)."""
import importlib

from fairseq import checkpoint_utils, options
from fairseq.dataclass.configs import FairseqConfig
from fairseq.distributed import utils as distributed_utils
from fairseq.models import distributed_fairseq_model
from fairseq.tasks import FairseqTask

import fairseq_plugins
from fairseq_plugins import compat
from fairseq_plugins import help as arch_help
from fairseq_plugins.compat import ddp_cpu_module
from fairseq_plugins.criterions import coverage_loss
from fairseq_plugins.decoding import generator, options as decoding_options
from fairseq_plugins.distributed import ddp, launch, sync


def _installed():
    return (options.parse_args_and_arch, distributed_utils.call_main,
            distributed_utils.distributed_init, checkpoint_utils.save_checkpoint,
            distributed_fairseq_model.DistributedDataParallel, FairseqTask.build_generator,
            options.GenerationConfig, FairseqConfig.__dataclass_fields__["generation"].default,
            FairseqTask.build_criterion)


def test_features_are_the_plugins_own_modules_none_in_compat():
    assert fairseq_plugins.FEATURES == ("fairseq_plugins.help", "fairseq_plugins.shell",
                                        "fairseq_plugins.distributed",
                                        "fairseq_plugins.decoding",
                                        "fairseq_plugins.criterions.coverage_loss")
    for name in fairseq_plugins.FEATURES:
        assert not name.startswith("fairseq_plugins.compat")
        assert callable(importlib.import_module(name).install)
    assert not {"arch_help", "interactive_input", "distributed", "interactive_lm",
                "fast_decoding_options"} & set(compat.FIXES)


def test_each_feature_is_installed_once_over_the_fixes():
    installed = _installed()
    assert installed[:4] == (arch_help.parse_args_and_arch, launch.call_main,
                             launch.distributed_init, sync.save_checkpoint)
    # the DDP class fairseq builds: the feature's and the fix's, in either order
    assert issubclass(installed[4], ddp_cpu_module.CpuModule)
    assert issubclass(installed[4], ddp.FindsUnusedParameters)
    assert installed[5:] == (generator.build_generator, decoding_options.GenerationConfig,
                             decoding_options.GenerationConfig, coverage_loss.build_criterion)
    for name in fairseq_plugins.FEATURES:
        importlib.import_module(name).install()   # again: nothing changes
    assert _installed() == installed


def test_the_ddp_feature_and_the_ddp_fix_compose_in_either_order(monkeypatch):
    import torch

    for first, second in ((ddp.install, ddp_cpu_module.apply),
                          (ddp_cpu_module.apply, ddp.install)):
        monkeypatch.setattr(distributed_fairseq_model, "DistributedDataParallel",
                            torch.nn.parallel.DistributedDataParallel)
        first()
        second()
        built = distributed_fairseq_model.DistributedDataParallel
        assert issubclass(built, ddp_cpu_module.CpuModule)
        assert issubclass(built, ddp.FindsUnusedParameters)
        first()
        second()
        assert distributed_fairseq_model.DistributedDataParallel is built   # once each


def _resolve(dotted):
    """The object a REPLACES name names now (a module attribute, a class attribute, or a
    dataclass field's default)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            fields = getattr(obj, "__dataclass_fields__", {})
            obj = fields[name].default if name in fields else getattr(obj, name)
        return obj
    raise ImportError(dotted)


def test_the_replaced_globals_are_the_plugins_at_most_eleven_and_the_docs_table_lists_them():
    from support import REPO

    replaced = [name for feature in fairseq_plugins.FEATURES
                for name in importlib.import_module(feature).REPLACES]
    assert len(replaced) == len(set(replaced)) <= 11
    for feature in fairseq_plugins.FEATURES:
        module = importlib.import_module(feature)
        assert compat.holds(compat.fairseq_version(), module.VERSIONS["fairseq"]), feature
    for name in replaced:
        if name.startswith("fairseq_cli.interactive."):
            continue   # replaced only while fairseq-interactive runs
        obj = _resolve(name)
        where = obj.__module__ if isinstance(obj, type) else obj.__code__.co_filename
        assert "fairseq_plugins" in where, name   # (functools.wraps copies __module__)
    table = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = table.split("## The fairseq globals the plugin replaces")[1].split("\n## ")[0]
    listed = {cell.strip("`") for row in section.splitlines() if row.startswith("`")
              for cell in row.split(" | ")[0].split(", ") if cell.startswith("`")}
    named = {name.replace("fairseq.dataclass.configs.FairseqConfig.generation",
                          "FairseqConfig") for name in replaced}
    assert {n for n in listed if not n.startswith("FairseqConfig")} | {"FairseqConfig"} == named
