"""``--fast-decoding``, ``--shortlist``, ``--shortlist-frequent`` and ``--coverage-penalty``:
generation options.

fairseq's generation options are the fields of one dataclass (``GenerationConfig``); an
option added to the parser alone is dropped when fairseq turns the parsed namespace into its
configuration, so ``fairseq-generate`` and ``fairseq-interactive`` would never see it.
:func:`install` gives fairseq a subclass of that dataclass with the plugin's options,
in every place fairseq reads the class from (the parser's generation group, the
configuration's ``generation`` field, hydra's stored schema). The defaults (``none``,
a coverage penalty of 0) change nothing.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Optional, Tuple

from fairseq.dataclass import ChoiceEnum
from fairseq.dataclass import configs as fairseq_configs

from fairseq_plugins.errors import ModelOptionError

#: the step's modes, and each with the RNN's own beam search (``-rnn-beam``,
#: fairseq_plugins.decoding.rnn_beam); ``rnn-beam`` alone is ``lean``'s step
STEP_MODES = ("none", "lean", "int8", "shortlist", "int8-shortlist")
RNN_BEAM_MODES = ("rnn-beam", "int8-rnn-beam", "shortlist-rnn-beam", "int8-shortlist-rnn-beam")
MODES = STEP_MODES + RNN_BEAM_MODES
DEFAULT_FREQUENT = 1000


class FastDecodingError(ModelOptionError):
    """A --fast-decoding mode that cannot run with this model, device or file."""


def split_mode(mode: str) -> Tuple[str, bool]:
    """A mode as (its step's mode, whether the RNN's own beam search runs):
    ``int8-rnn-beam`` -> (``int8``, True), ``rnn-beam`` -> (``lean``, True)."""
    if mode in RNN_BEAM_MODES:
        return (mode[:-len("-rnn-beam")] if mode != "rnn-beam" else "lean"), True
    return mode, False


def is_plugin_rnn(model) -> bool:
    """Whether ``model`` is one of the plugin's RNN models (what the options here are for)."""
    from fairseq_plugins.models.rnn_decoder import RNNDecoder

    return isinstance(getattr(model, "decoder", None), RNNDecoder)


def not_plugin_rnn(option: str, model) -> FastDecodingError:
    """The error of a generation ``option`` given a model that is not the plugin's RNN."""
    name = getattr(getattr(model, "cfg", None), "_name", None) or type(model).__name__
    return FastDecodingError(f"{option} is for the plugin's RNN models (--arch rnn_*); "
                             f"this model is {name}")


_FairseqGenerationConfig = fairseq_configs.GenerationConfig


@dataclass
class GenerationConfig(_FairseqGenerationConfig):
    fast_decoding: ChoiceEnum(list(MODES)) = field(
        default="none",
        metadata={"help": "plugin RNN models: lean (exact: no per-step copies of the "
                          "encoder's output), int8 (CPU: the decoder's products in int8), "
                          "shortlist (output layer over a per-batch list of target tokens, "
                          "hypotheses rescored over the whole vocabulary), int8-shortlist, "
                          "each of them with -rnn-beam (the RNN's own beam search: rnn-beam, "
                          "int8-rnn-beam, ...), or none; see docs/speed.md"})
    shortlist: Optional[str] = field(
        default=None,
        metadata={"help": "lexical table for --fast-decoding *shortlist: 'source<TAB>targets' "
                          "a line (scripts/build_shortlist.py); optional for --task gec"})
    shortlist_frequent: int = field(
        default=DEFAULT_FREQUENT,
        metadata={"help": "the shortlist always holds this many most frequent target tokens"})
    coverage_penalty: float = field(
        default=0.0,
        metadata={"help": "plugin RNN models with attention: Wu et al. (2016)'s coverage "
                          "penalty beta * sum_i log(min(attention on source token i so far, "
                          "1)) added to each hypothesis's score in the beam search (fairseq's "
                          "--lenpen then divides the sum); 0: none; see docs/models.md"})


def install():
    """Put :class:`GenerationConfig` wherever fairseq reads its generation options from:
    the parser's generation group (``options.add_generation_args`` reads the name
    ``options.GenerationConfig``) and ``FairseqConfig``'s ``generation`` field (the
    configuration fairseq builds from the parsed options, and hydra's stored schema of it).
    ``fairseq.dataclass.configs.GenerationConfig`` itself stays fairseq's: nothing reads it
    after fairseq's import."""
    from fairseq import options
    from fairseq.dataclass.configs import FairseqConfig
    from fairseq.dataclass.initialize import hydra_init

    if options.GenerationConfig is GenerationConfig:
        return
    options.GenerationConfig = GenerationConfig   # add_generation_args reads this name
    generation = FairseqConfig.__dataclass_fields__["generation"]
    generation.type = GenerationConfig
    generation.default = GenerationConfig
    FairseqConfig.__annotations__["generation"] = GenerationConfig
    hydra_init()   # hydra's stored schema of the configuration, with the new fields
    assert "fast_decoding" in {f.name for f in dataclasses.fields(GenerationConfig)}
