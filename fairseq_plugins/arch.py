"""Print the configuration an architecture resolves to, without data or training.

    python -m fairseq_plugins.arch rnn_gec                       # every model option
    python -m fairseq_plugins.arch rnn_luong --input-feeding 0   # with overrides
    python -m fairseq_plugins.arch --list                        # the named architectures

The values are those that fairseq-train --arch ARCH [--option value ...] builds the
model with: the model options given, parsed by the model's own options as fairseq-train
parses them, then the architecture's preset and the derived defaults (fill_architecture
in fairseq_plugins/models/rnn_seq2seq.py: the decoder's sizes follow the encoder's unless
given). One "name: value" line per model option, so the output is YAML.

fairseq's own architectures work too, with the values their registered function sets
(lstm: its base_architecture, which sets them all).
"""
import argparse
import sys
from dataclasses import fields

import yaml
from fairseq.models import (
    ARCH_CONFIG_REGISTRY,
    ARCH_MODEL_REGISTRY,
    MODEL_DATACLASS_REGISTRY,
)

from fairseq_plugins.models import rnn_seq2seq

PROG = "python -m fairseq_plugins.arch"
MODEL_GROUP_TITLE = "model options (each overrides the architecture's value)"


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, with an error in one line (no usage block before it); exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(arch=None, add_help=True) -> argparse.ArgumentParser:
    """The tool's options, and ``arch``'s model options as fairseq-train adds them."""
    parser = OneLineErrorParser(
        prog=PROG, usage=f"{PROG} [-h] [--list] [ARCH [--option value ...]]",
        description=__doc__, add_help=add_help, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("arch", nargs="?", metavar="ARCH",
                        help="architecture to resolve, before its options (--list names them)")
    parser.add_argument("--list", action="store_true",
                        help="list the plugin's named architectures and exit (also the default)")
    if arch is not None:
        # argument_default=SUPPRESS, as fairseq's parse_args_and_arch: only options given
        # appear in the namespace, so that the architecture fills the others
        group = parser.add_argument_group(MODEL_GROUP_TITLE, argument_default=argparse.SUPPRESS)
        ARCH_MODEL_REGISTRY[arch].add_args(group)
    return parser


def model_option_names(parser: argparse.ArgumentParser):
    """The model options' names (``dest``), in the order the model declares them."""
    for group in parser._action_groups:
        if group.title == MODEL_GROUP_TITLE:
            return [action.dest for action in group._group_actions]
    return []


def _dataclass_defaults(model) -> dict:
    dataclass = getattr(model, "__dataclass", None)
    if dataclass is None:
        return {}
    instance = dataclass()
    return {f.name: getattr(instance, f.name) for f in fields(dataclass)
            if not f.name.startswith("_")}


def resolve(arch: str, given: dict) -> argparse.Namespace:
    """The model configuration ``arch`` trains with, the options in ``given`` applied first.

    In the order fairseq-train applies them: the model's dataclass defaults overridden by
    the options given (``convert_namespace_to_omegaconf``), then the architecture's
    function unless the name is the model's own (``fairseq.models.build_model``), then,
    for the plugin's model, the preset and derived defaults (its ``build_model``).
    """
    model = ARCH_MODEL_REGISTRY[arch]
    config = argparse.Namespace(**{**_dataclass_defaults(model), **given})
    if arch not in MODEL_DATACLASS_REGISTRY:
        ARCH_CONFIG_REGISTRY[arch](config)
    if issubclass(model, rnn_seq2seq.RNNSeq2SeqModel):
        rnn_seq2seq.fill_architecture(config, rnn_seq2seq.PRESETS.get(arch, {}))
    return config


def yaml_value(value) -> str:
    """``value`` as YAML on one line (None: null; a string quoted where YAML needs it)."""
    # a one-element flow list is one line whatever the value; drop its brackets
    return yaml.safe_dump([value], default_flow_style=True, width=10 ** 6).strip()[1:-1]


def as_yaml(names, config) -> str:
    """``name: value`` per option, in ``names``' order."""
    return "".join(f"{name}: {yaml_value(getattr(config, name, None))}\n" for name in names)


def descriptions() -> dict:
    """One line per named architecture, from the table in rnn_seq2seq's docstring."""
    found, name = {}, None
    for line in (rnn_seq2seq.__doc__ or "").splitlines():
        cells = line.split(None, 1)
        if line.startswith("``") and len(cells) == 2 and cells[0].strip("`") in rnn_seq2seq.PRESETS:
            name = cells[0].strip("`")
            found[name] = cells[1].strip().replace("``", "")
        elif name is not None and line.startswith(" ") and line.strip():
            # a row continued on the next line
            found[name] += " " + line.strip().replace("``", "")
        else:
            name = None
    found.setdefault(rnn_seq2seq.MODEL_NAME,
                     "the configurable model: every option at its base default unless given")
    return found


def list_architectures() -> str:
    about = descriptions()
    width = max(len(name) for name in rnn_seq2seq.PRESETS)
    return "".join(f"{name:<{width}}  {about.get(name, '')}\n" for name in rnn_seq2seq.PRESETS)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    first, _ = build_parser(add_help=False).parse_known_args(argv)
    if first.arch is not None and argv[0] not in (first.arch, "-h", "--help", "--list"):
        # else an option's value may have been taken for the ARCH: --dropout 0.3 rnn_gec
        build_parser().error(f"the ARCH comes first: {PROG} ARCH [--option value ...]")
    if first.arch is not None and first.arch not in ARCH_MODEL_REGISTRY:
        build_parser().error(f"unknown architecture {first.arch!r} ({PROG} --list names the "
                             "plugin's; fairseq-train --help lists every one)")
    parser = build_parser(first.arch)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        what = "option" if unknown[0].startswith("-") else "argument"
        where = f" for {args.arch}" if args.arch else " (options come after an ARCH)"
        parser.error(f"unknown {what} {unknown[0]!r}{where}")
    if args.list or args.arch is None:
        sys.stdout.write(list_architectures())
        return 0
    given = {name: getattr(args, name) for name in model_option_names(parser)
             if hasattr(args, name)}
    sys.stdout.write(as_yaml(model_option_names(parser), resolve(args.arch, given)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
