"""fairseq_plugins.FEATURES: the plugin's additions to fairseq's CLIs, installed once, after
the fixes of fairseq problems (fairseq_plugins.compat)."""
import importlib

from fairseq import checkpoint_utils, options
from fairseq.dataclass import configs as fairseq_configs
from fairseq.distributed import utils as distributed_utils
from fairseq.models import distributed_fairseq_model
from fairseq.tasks import FairseqTask

import fairseq_plugins
from fairseq_plugins import compat
from fairseq_plugins import help as arch_help
from fairseq_plugins.compat import ddp_cpu_module
from fairseq_plugins.criterions import coverage_loss
from fairseq_plugins.decoding import generator, options as decoding_options
from fairseq_plugins.distributed import launch, sync


def _installed():
    return (options.parse_args_and_arch, distributed_utils.call_main,
            distributed_utils.distributed_init, checkpoint_utils.save_checkpoint,
            distributed_fairseq_model.DistributedDataParallel, FairseqTask.build_generator,
            fairseq_configs.GenerationConfig, FairseqTask.build_criterion)


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
    # the DDP class fairseq builds: the feature's, over the fix's
    assert installed[4].__mro__[1] is ddp_cpu_module.CpuModuleDDP
    assert installed[5:] == (generator.build_generator, decoding_options.GenerationConfig,
                             coverage_loss.build_criterion)
    for name in fairseq_plugins.FEATURES:
        importlib.import_module(name).install()   # again: nothing changes
    assert _installed() == installed
