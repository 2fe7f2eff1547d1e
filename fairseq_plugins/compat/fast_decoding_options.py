"""``--fast-decoding``, ``--shortlist`` and ``--shortlist-frequent``: generation options.

fairseq's generation options are the fields of one dataclass (``GenerationConfig``); an
option added to the parser alone is dropped when fairseq turns the parsed namespace into its
configuration, so ``fairseq-generate`` and ``fairseq-interactive`` would never see it. This
module gives fairseq a subclass of that dataclass with the plugin's three options, in every
place fairseq reads the class from (the parser's generation group, the configuration's
``generation`` field, hydra's stored schema), and wraps ``FairseqTask.build_generator`` so
that every task's generator (translation's, gec's, in both CLIs) runs
:func:`fairseq_plugins.fast_decoding.prepare` on its models. The default, ``none``, changes
nothing.
"""
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Optional

from fairseq.dataclass import ChoiceEnum
from fairseq.dataclass import configs as fairseq_configs
from fairseq.tasks import FairseqTask

from fairseq_plugins.fast_decoding import DEFAULT_FREQUENT, MODES

logger = logging.getLogger(__name__)

PROBLEM = ("fairseq's generation has no option for a faster decoder, and options outside "
           "GenerationConfig are dropped before the generator is built")
FAIRSEQ_VERSIONS = ("0.12.0", "0.13")
TEST = ("tests/integration/test_fast_decoding.py::"
        "test_fast_decoding_runs_through_generate_and_interactive")

_OriginalGenerationConfig = fairseq_configs.GenerationConfig


@dataclass
class GenerationConfig(_OriginalGenerationConfig):
    fast_decoding: ChoiceEnum(list(MODES)) = field(
        default="none",
        metadata={"help": "plugin RNN models: lean (exact: no per-step copies of the "
                          "encoder's output), int8 (CPU: the decoder's products in int8), "
                          "shortlist (output layer over a per-batch list of target tokens, "
                          "hypotheses rescored over the whole vocabulary), int8-shortlist, "
                          "or none; see docs/speed.md"})
    shortlist: Optional[str] = field(
        default=None,
        metadata={"help": "lexical table for --fast-decoding *shortlist: 'source<TAB>targets' "
                          "a line (scripts/build_shortlist.py); optional for --task gec"})
    shortlist_frequent: int = field(
        default=DEFAULT_FREQUENT,
        metadata={"help": "the shortlist always holds this many most frequent target tokens"})


def _patch_config_classes():
    from fairseq import options
    from fairseq.dataclass.configs import FairseqConfig
    from fairseq.dataclass.initialize import hydra_init

    fairseq_configs.GenerationConfig = GenerationConfig
    options.GenerationConfig = GenerationConfig   # add_generation_args reads this name
    generation = FairseqConfig.__dataclass_fields__["generation"]
    generation.type = GenerationConfig
    generation.default = GenerationConfig
    FairseqConfig.__annotations__["generation"] = GenerationConfig
    hydra_init()   # hydra's stored schema of the configuration, with the new fields
    assert "fast_decoding" in {f.name for f in dataclasses.fields(GenerationConfig)}


def apply():
    if getattr(FairseqTask.build_generator, "fast_decoding", False):
        return
    _patch_config_classes()
    previous = FairseqTask.build_generator

    def build_generator(self, models, args, *rest, **kwargs):
        generator = previous(self, models, args, *rest, **kwargs)
        from fairseq_plugins import fast_decoding

        fast = fast_decoding.prepare(models, args, self)
        return generator if fast is None else fast.wrap(generator)

    build_generator.fast_decoding = True
    FairseqTask.build_generator = build_generator
