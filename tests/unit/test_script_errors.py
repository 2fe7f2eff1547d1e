"""The scripts reject bad input in one line before doing any work (no model, no data)."""
import pytest

from support import SCRIPTS, assert_one_line_error, run, script


def test_plot_loss_errors(tmp_path):
    (tmp_path / "empty" / "valid").mkdir(parents=True)
    assert_one_line_error(
        script("plot_loss.py", "--logdir", tmp_path / "empty", "--out", tmp_path / "x.png"),
        "no 'loss' scalars")
    assert_one_line_error(
        script("plot_loss.py", "--logdir", tmp_path / "missing", "--out", tmp_path / "x.png"),
        "not found")
    corrupt = tmp_path / "corrupt" / "valid"
    corrupt.mkdir(parents=True)
    (corrupt / "events.out.tfevents.1.host").write_bytes(b"\x10" + b"\x00" * 15)
    assert_one_line_error(
        script("plot_loss.py", "--logdir", corrupt.parent, "--out", tmp_path / "x.png"),
        "corrupt")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("args,size,fragment", [
    (["nope", "rnn_luong"], "small", "unknown corpus nope"),
    (["anki", "lstm"], "small", "unknown system lstm"),
    (["anki", "rnn_luong"], "big", "SIZE must be tutorial or small, got big"),
])
def test_recipe_mt_rejects_unknown_names_before_doing_anything(tmp_path, args, size, fragment):
    proc = run(["bash", SCRIPTS / "recipe_mt.sh", *args], check=False,
               env={"RUN_DIR": str(tmp_path / "run"), "SIZE": size})
    assert proc.returncode == 2
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "run").exists()


def test_recipe_gec_rejects_a_bad_cpu_bf16_before_doing_anything(tmp_path):
    proc = run(["bash", SCRIPTS / "recipe_gec.sh"], check=False,
               env={"RUN_DIR": str(tmp_path / "run"), "CPU_BF16": "yes"})
    assert proc.returncode == 2
    assert_one_line_error(proc, "CPU_BF16 must be auto, 0 or 1, got yes")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args,fragment", [
    (["--repeats", "0"], "--repeats must be at least 1, got 0"),
    (["--tokens", "10"], "--tokens must be at least 20"),
    (["--threads", "0"], "--threads must be at least 1, got 0"),
])
def test_cpu_bf16_pays_rejects_what_would_print_no_ratio(args, fragment):
    assert_one_line_error(script("cpu_bf16_pays.py", *args), fragment)


@pytest.mark.parametrize("args,fragment", [
    (["--clients", "0"], "--clients must be 1..256"),
    (["--clients", "257"], "--clients must be 1..256"),
    (["--sentences", "0"], "--sentences must be at least 1"),
    ([], "data folder not found"),
])
def test_load_test_rejects_bad_options_before_starting_a_server(tmp_path, args, fragment):
    proc = script("load_test.py", tmp_path / "no-data", "--path", tmp_path / "x.pt", *args)
    assert_one_line_error(proc, fragment)
