"""--help lists the model's options with an architecture's values; fairseq_plugins.arch.

One test of each runs the real CLI as a subprocess, as a user runs it (``--user-dir``
imports the plugin, which installs :mod:`fairseq_plugins.help`); the others
call what those CLIs call (fairseq's parser and ``options.parse_args_and_arch``; the
tool's ``main``) in this process, which imported the plugin the same way, so that the
unit subset stays fast. The values expected are computed here from the architectures
themselves (``PRESETS`` and ``fill_architecture`` for the plugin's,
``ARCH_CONFIG_REGISTRY`` for fairseq's), not copied from them.
"""
import argparse
import subprocess
import sys
from dataclasses import fields

import pytest
import yaml
from fairseq import options
from fairseq.models import ARCH_CONFIG_REGISTRY

from support import PLUGIN_DIR, REPO, cli, run
from fairseq_plugins import arch as arch_tool
from fairseq_plugins import help as arch_help
from fairseq_plugins.models.rnn_seq2seq import PRESETS, RNNSeq2SeqConfig, fill_architecture

def _run(*cmd) -> subprocess.CompletedProcess:
    return run(cmd, cwd=REPO, check=False, timeout=300)


def fairseq_help(program, *args) -> str:
    done = _run(cli(program), "--user-dir", PLUGIN_DIR, *args, "--help")
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def help_in_process(capsys, get_parser, *args) -> str:
    """What a fairseq CLI prints for ``args --help``: its parser through
    ``options.parse_args_and_arch``, as the CLI's ``cli_main`` does."""
    with pytest.raises(SystemExit) as done:
        options.parse_args_and_arch(get_parser(), ["--user-dir", str(PLUGIN_DIR), *args,
                                                   "--help"])
    assert done.value.code in (0, None)
    return capsys.readouterr().out


def run_arch_tool(capsys, *args):
    """``python -m fairseq_plugins.arch ARGS`` in this process: (status, stdout, stderr)."""
    try:
        status = arch_tool.main(list(args))
    except SystemExit as stop:
        status = stop.code
    out = capsys.readouterr()
    return status, out.out, out.err


def help_entry(text: str, option: str) -> str:
    """``option``'s entry in a --help text: its line and those continuing it, on one line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"  {option} ") or line.startswith(f"  {option},") \
                or line == f"  {option}":
            entry = [line]
            for more in lines[i + 1:]:
                if not more.startswith("    "):  # the next option, or the next group
                    break
                entry.append(more)
            return " ".join(" ".join(entry).split())
    raise AssertionError(f"{option} is not in the help")


def rnn_config(arch, **given) -> dict:
    """The plugin's model options for ``arch``, ``given`` first, filled in-process."""
    config = fill_architecture(RNNSeq2SeqConfig(**given), PRESETS[arch])
    return {f.name: getattr(config, f.name) for f in fields(RNNSeq2SeqConfig)
            if not f.name.startswith("_")}


def test_train_help_shows_the_architectures_values():
    text = fairseq_help("fairseq-train", "--arch", "rnn_gec")
    expected = rnn_config("rnn_gec")
    for option in ("--encoder-hidden-size", "--encoder-layers", "--dropout"):
        value = expected[option[2:].replace("-", "_")]
        assert f"(rnn_gec: {value})" in help_entry(text, option), option


def test_train_help_lists_fairseqs_lstm_options_with_its_values(capsys):
    text = help_in_process(capsys, options.get_training_parser, "--arch", "lstm")
    lstm = argparse.Namespace()
    ARCH_CONFIG_REGISTRY["lstm"](lstm)
    assert f"(lstm: {lstm.encoder_hidden_size})" in help_entry(text, "--encoder-hidden-size")
    assert f"(lstm: {lstm.decoder_attention})" in help_entry(text, "--decoder-attention")
    # an option base_architecture leaves at None keeps its help as it was
    assert "(lstm:" not in help_entry(text, "--encoder-embed-path")


@pytest.mark.parametrize("get_parser, own_option", [
    (options.get_generation_parser, "--beam"),                    # fairseq-generate's
    (options.get_interactive_generation_parser, "--buffer-size"),  # fairseq-interactive's
])
def test_generate_and_interactive_help_list_the_tasks_options(capsys, get_parser, own_option):
    text = help_in_process(capsys, get_parser)
    help_entry(text, own_option)
    help_entry(text, "--source-lang")  # the translation task's, added with the task


@pytest.mark.parametrize("get_parser", [options.get_training_parser,
                                        options.get_validation_parser])
def test_help_still_prints_where_fairseq_cannot_complete_the_parser(capsys, get_parser):
    # fairseq-train without --arch, fairseq-validate without --task: fairseq fails there
    text = help_in_process(capsys, get_parser)
    help_entry(text, "--user-dir")


@pytest.mark.parametrize("suppress_defaults", [False, True])
def test_parsing_without_help_is_unchanged(suppress_defaults):
    arch_help.install()
    assert options.parse_args_and_arch is arch_help.parse_args_and_arch
    argv = ["data-bin", "--user-dir", str(PLUGIN_DIR), "--arch", "rnn_gec", "--encoder-layers",
            "3", "--optimizer", "adam", "--lr", "0.001", "--max-tokens", "100"]
    fixed = options.parse_args_and_arch(options.get_training_parser(), argv,
                                        suppress_defaults=suppress_defaults)
    fairseqs = arch_help._original(options.get_training_parser(), argv,
                                   suppress_defaults=suppress_defaults)
    assert vars(fixed) == vars(fairseqs)


# rnn_seq2seq, the model's own name, has no architecture function: its build_model fills it
def test_arch_tool_prints_the_resolved_configuration():
    done = _run(sys.executable, "-m", "fairseq_plugins.arch", "rnn_gec")   # as a user runs it
    assert done.returncode == 0, done.stderr[-3000:]
    expected = rnn_config("rnn_gec")
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == list(expected)
    assert yaml.safe_load(done.stdout) == expected


def test_arch_tool_fills_the_models_own_name_like_its_build_model(capsys):
    status, out, err = run_arch_tool(capsys, "rnn_seq2seq")
    assert status == 0, err[-3000:]
    expected = rnn_config("rnn_seq2seq")
    assert [line.split(":")[0] for line in out.splitlines()] == list(expected)
    assert yaml.safe_load(out) == expected


@pytest.mark.parametrize("arch, given", [
    ("rnn_gec", dict(encoder_hidden_size=256, dropout=0.5, cell="gru")),
    # the decoder's embedding size follows the encoder's, which the option sets
    ("rnn_luong", dict(encoder_embed_dim=128, encoder_embed_path="vectors: 1.txt")),
])
def test_arch_tool_applies_the_options_given_first(capsys, arch, given):
    args = []
    for name, value in given.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    status, out, err = run_arch_tool(capsys, arch, *args)
    assert status == 0, err[-3000:]
    resolved = yaml.safe_load(out)
    assert resolved == rnn_config(arch, **given)
    assert all(resolved[name] == value for name, value in given.items())


@pytest.mark.parametrize("args, named", [
    (["no_such_arch"], "'no_such_arch'"),
    (["rnn_gec", "--no-such-option", "1"], "'--no-such-option'"),
    (["rnn_gec", "--encoder-layers", "two"], "'two'"),
])
def test_arch_tool_errors_are_one_line_and_exit_2(capsys, args, named):
    status, out, err = run_arch_tool(capsys, *args)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert named in err and "error" in err


def test_arch_tool_lists_the_named_architectures(capsys):
    status, listed, err = run_arch_tool(capsys, "--list")
    assert status == 0, err[-3000:]
    assert run_arch_tool(capsys)[1] == listed  # no argument: the list too
    lines = listed.splitlines()
    assert [line.split()[0] for line in lines] == list(PRESETS)
    assert all(len(line.split()) > 3 for line in lines), "an architecture without description"


def test_arch_tool_help_says_what_it_does(capsys):
    status, out, err = run_arch_tool(capsys, "--help")
    assert status == 0, err[-3000:]
    assert arch_tool.__doc__.splitlines()[0] in out
    assert "--list" in out
