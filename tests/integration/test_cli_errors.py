"""A bad data folder or checkpoint ends in one line naming the file, in every fairseq CLI.

fairseq-train, fairseq-generate and fairseq-interactive with the plugin, each given a
data folder that is missing or empty, a folder without its source dictionary, or a
checkpoint that is cut off, not a checkpoint, missing or made for a model nobody
registered (``compat.data_folder_errors``, ``compat.checkpoint_errors``). All three CLIs
read through the same wrapped fairseq functions, and each run spends ~5 s importing torch
and fairseq, so the main cases (a missing folder, a truncated checkpoint) run in every CLI
they concern and the others in one or two, each CLI meeting a bad folder and a bad
checkpoint; a case's runs go side by side. One checkpoint of 20 updates is shared.
"""
import os
import random
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from support import PLUGIN_DIR, assert_cli_error, cli, run, train_cmd


@pytest.fixture(scope="module")
def trained(tiny_checkpoint):
    data, checkpoint = tiny_checkpoint
    return data / "bin", checkpoint


def _generate(data, checkpoint):
    return [cli("fairseq-generate"), data, "--user-dir", PLUGIN_DIR, "--path", checkpoint,
            "--max-sentences", "4"]


def _interactive(data, checkpoint):
    return [cli("fairseq-interactive"), data, "--user-dir", PLUGIN_DIR, "--path", checkpoint]


def _run_side_by_side(cmds):
    with ThreadPoolExecutor(len(cmds)) as pool:
        return list(pool.map(lambda cmd: run(cmd, check=False, input=""), cmds))


def _missing_folder(data, tmp_path):
    folder = tmp_path / "no_such_folder"
    return folder, f"data folder {folder} does not exist"


def _empty_folder(data, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder, f"data folder {folder} is empty"


def _no_source_dictionary(data, tmp_path):
    folder = tmp_path / "bin"
    shutil.copytree(data, folder)
    (folder / "dict.de.txt").unlink()
    return folder, f"dictionary {folder / 'dict.de.txt'} does not exist"


@pytest.mark.parametrize("make, clis", [
    (_missing_folder, ("train", "generate", "interactive")),
    (_empty_folder, ("train",)),
    (_no_source_dictionary, ("generate",)),
], ids=["missing", "empty", "no-dict.de.txt"])
def test_bad_data_folder_is_one_line_in_every_cli(trained, tmp_path, make, clis):
    data, checkpoint = trained
    folder, message = make(data, tmp_path)
    cmds = {"train": train_cmd(folder, tmp_path / "save"),
            "generate": _generate(folder, checkpoint),
            "interactive": _interactive(folder, checkpoint)}
    for proc in _run_side_by_side([cmds[name] for name in clis]):
        assert_cli_error(proc, message)


def _truncated(checkpoint, path):
    path.write_bytes(checkpoint.read_bytes()[:100_000])
    return "is truncated"


def _text(checkpoint, path):
    path.write_text("this is a translation, not a checkpoint\n")
    return "is not a PyTorch checkpoint"


def _random_bytes(checkpoint, path):
    path.write_bytes(random.Random(1).randbytes(4096))
    return "is not a PyTorch checkpoint"


def _missing(checkpoint, path):
    return "does not exist"


def _unknown_model(checkpoint, path):
    state = torch.load(checkpoint, weights_only=False)
    state["cfg"]["model"]["_name"] = "no_such_model"
    torch.save(state, path)
    return "is for model 'no_such_model', which neither fairseq nor a loaded --user-dir"


# fairseq-train builds its model from --arch: only the file itself can be wrong there
@pytest.mark.parametrize("make, clis", [
    (_truncated, ("generate", "interactive", "train")),
    (_text, ("generate",)),
    (_random_bytes, ("interactive",)),
    (_missing, ("generate", "train")),   # two checks: load_model_ensemble's, --restore-file's
    (_unknown_model, ("generate", "interactive")),
], ids=["truncated", "text", "random-bytes", "missing", "unknown-model"])
def test_bad_checkpoint_is_one_line_in_generate_and_interactive(trained, tmp_path, make, clis):
    data, checkpoint = trained
    bad = tmp_path / "bad.pt"
    message = make(checkpoint, bad)
    cmds = {"generate": _generate(data, bad), "interactive": _interactive(data, bad),
            "train": train_cmd(data, tmp_path / "save", extra=["--restore-file", bad])}
    for proc in _run_side_by_side([cmds[name] for name in clis]):
        assert_cli_error(proc, f"checkpoint {bad} {message}")


def test_what_is_not_a_bad_file_keeps_fairseqs_behaviour(trained, tmp_path):
    """The wrappers, called directly: a sound checkpoint
    that fails to load keeps its own error, and a missing --restore-file in --save-dir is
    still a first run's (fairseq then starts from scratch)."""
    import pickle
    import types

    from fairseq_plugins.compat import checkpoint_errors
    from fairseq_plugins.errors import MissingFileError
    from preprocess.texttools.errors import InputError

    state = torch.load(trained[1], weights_only=False)
    state["extra_state"]["payload"] = os.system
    evil = tmp_path / "evil.pt"
    torch.save(state, evil)
    with pytest.raises(pickle.UnpicklingError, match="posix.system") as raised:
        checkpoint_errors.load_checkpoint_to_cpu(str(evil))
    assert not isinstance(raised.value, InputError)

    save = tmp_path / "save"
    trainer = types.SimpleNamespace(checkpoint_suffix="")
    calls = []
    original = checkpoint_errors._original_load_checkpoint
    checkpoint_errors._original_load_checkpoint = lambda cfg, trainer: calls.append(cfg)
    try:
        first_run = types.SimpleNamespace(restore_file=str(save / "checkpoint_best.pt"),
                                          save_dir=str(save))
        checkpoint_errors.load_checkpoint(first_run, trainer)
        assert calls == [first_run]
        elsewhere = types.SimpleNamespace(restore_file=str(tmp_path / "best.pt"),
                                          save_dir=str(save))
        with pytest.raises(MissingFileError, match="best.pt does not exist"):
            checkpoint_errors.load_checkpoint(elsewhere, trainer)
        assert calls == [first_run]
    finally:
        checkpoint_errors._original_load_checkpoint = original
