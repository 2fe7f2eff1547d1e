"""``--help`` lists the model's (and task's) options, with the architecture's values.

fairseq's ``parse_args_and_arch`` adds the model-specific options (and the task's, and
those of the chosen optimizer, scheduler, criterion, ...) only after a first
``parse_known_args``, and that first parse is where argparse meets ``-h``/``--help``:
it prints the help of the unfinished parser and exits. So ``fairseq-train --arch lstm
--help`` lists no option of the model at all, and the values a named architecture sets
(``rnn_gec``: 512 hidden units, 2 layers, ...) appear nowhere.

With ``-h``/``--help`` the wrapper below lets fairseq complete the parser as it does
before parsing for real, and prints the help where fairseq would parse for real (and
fail on the missing data folder): fairseq calls ``modify_parser`` before its first parse
and again once the parser is complete, and there the wrapper's prints and exits 0.
Each option of the model-specific group gets the value the architecture gives it,
``(rnn_gec: 512)``: the architecture's registered function (``ARCH_CONFIG_REGISTRY``) run
on an empty namespace, which is how both fairseq's own architectures (``getattr``
defaults) and the plugin's fill a configuration. Where fairseq cannot complete the
parser (fairseq-train without ``--arch``, fairseq-validate without ``--task``) the help
lists what it has, as before. Without ``-h``/``--help`` fairseq's function runs as is.

fairseq's CLIs call ``options.parse_args_and_arch`` through the module, and import the
``--user-dir`` in ``options.get_parser``, before that call, so replacing the module's
function is enough.
"""
import argparse
import functools
import logging
import sys

from fairseq import options

logger = logging.getLogger(__name__)

HELP_FLAGS = ("-h", "--help")
# the title fairseq gives the group of the model's own options
MODEL_GROUP_TITLE = "Model-specific configuration"

# the unpatched function, also after a reload of this module
_original = getattr(options.parse_args_and_arch, "__wrapped__", options.parse_args_and_arch)


def _asks_for_help(input_args) -> bool:
    """Whether ``-h``/``--help`` is among the options (argparse stops reading them at --)."""
    for arg in sys.argv[1:] if input_args is None else input_args:
        if arg == "--":
            return False
        if arg in HELP_FLAGS:
            return True
    return False


def _without_help(input_args):
    args = list(sys.argv[1:] if input_args is None else input_args)
    end = args.index("--") if "--" in args else len(args)
    return [a for a in args[:end] if a not in HELP_FLAGS] + args[end:]


def architecture_values(arch: str) -> dict:
    """The options ``arch``'s registered function sets, run on an empty namespace."""
    from fairseq.models import ARCH_CONFIG_REGISTRY

    config = argparse.Namespace()
    try:
        ARCH_CONFIG_REGISTRY[arch](config)
    except Exception as exc:  # an architecture that needs given options: help without values
        logger.debug("no values for --arch %s in --help: %s", arch, exc)
        return {}
    return vars(config)


def annotate_model_options(parser: argparse.ArgumentParser, arch: str):
    """Append ``(ARCH: value)`` to the help of each model option ``arch`` sets."""
    values = architecture_values(arch)
    for group in parser._action_groups:
        if group.title != MODEL_GROUP_TITLE:
            continue
        for action in group._group_actions:
            value = values.get(action.dest)
            if value is None or action.help == argparse.SUPPRESS:
                continue  # the architecture leaves it to the model's default
            # argparse %-formats help strings
            note = f"({arch}: {value})".replace("%", "%%")
            action.help = f"{action.help} {note}" if action.help else note


def print_complete_help(parser, input_args=None, modify_parser=None):
    """Let fairseq complete ``parser`` for ``input_args``, print its help and exit 0."""
    input_args = _without_help(input_args)
    first = []

    def modify_then_help(p):
        if modify_parser is not None:
            modify_parser(p)
        if not first:  # before fairseq's first parse: see the architecture that parse sees
            first.append(p.parse_known_args(input_args)[0])
            return
        # called again: the parser is complete, and the next step would parse for real
        arch = getattr(first[0], "arch", None)
        if arch is not None:
            annotate_model_options(p, arch)
        p.print_help()
        p.exit()

    try:
        _original(parser, input_args, parse_known=True, modify_parser=modify_then_help)
    except Exception as exc:
        # fairseq cannot complete this parser (fairseq-train without --arch, fairseq-validate
        # without --task): the command says so when run; its help lists what there is
        logger.debug("--help before the parser is complete: %r", exc)
    parser.print_help()
    parser.exit()


@functools.wraps(_original)
def parse_args_and_arch(parser, input_args=None, parse_known=False, suppress_defaults=False,
                        modify_parser=None):
    if _asks_for_help(input_args):
        print_complete_help(parser, input_args, modify_parser)
    return _original(parser, input_args, parse_known=parse_known,
                     suppress_defaults=suppress_defaults, modify_parser=modify_parser)


#: the fairseq versions whose code the replacements below were written for
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}
#: the fairseq globals :func:`install` replaces (docs/architecture.md has why)
REPLACES = ("fairseq.options.parse_args_and_arch",)


def install():
    """Replace ``options.parse_args_and_arch``; safe to call again."""
    if options.parse_args_and_arch is not parse_args_and_arch:
        options.parse_args_and_arch = parse_args_and_arch
