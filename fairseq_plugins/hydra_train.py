"""fairseq-hydra-train with the plugin imported first: ``python -m fairseq_plugins.hydra_train``.

``fairseq-hydra-train`` imports ``common.user_dir`` only inside each rank, after it has
decided how to launch them, so the plugin's own launch
(:mod:`fairseq_plugins.distributed`: CPU ranks, torchrun's world size, one-line errors)
comes too late there. This entry point imports the plugin, then runs
fairseq's own ``fairseq-hydra-train`` with the same arguments::

    python -m fairseq_plugins.hydra_train --config-dir fairseq_plugins/config \\
        --config-name multi30k_luong task.data=DATA/bin common.user_dir=fairseq_plugins \\
        common.cpu=true distributed_training.distributed_world_size=2
    torchrun --standalone --nproc_per_node 2 -m fairseq_plugins.hydra_train ...

Single-process runs need none of this; ``fairseq-hydra-train`` itself is fine there.
"""
import fairseq_plugins  # noqa: F401  (fixes and features, before fairseq launches)
from fairseq_cli.hydra_train import cli_main

if __name__ == "__main__":
    cli_main()
