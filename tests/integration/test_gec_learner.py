"""The learner-data GEC recipe's data step on a slice of the real corpora (FCE, W&I, CoNLL-2014).

``STOP_AFTER=data bash scripts/recipe_gec.sh`` on a data folder holding the first essays
and M2 blocks of each shared file: the training pairs, the FCE dev valid set with its gold
M2, and the test inputs are what the recipe then trains and scores on.
"""
import json
import os
import re
import sys

import pytest

from support import REPO, assert_one_line_error, run, write

from preprocess.fce import read_fce
from preprocess.texttools.files import read_text
from preprocess.m2 import read_m2

LEARNER = "gec-learner"


def head_lines(src, dest, n):
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(src, encoding="utf-8") as f:
        dest.write_text("".join(line for _, line in zip(range(n), f)), encoding="utf-8")


def head_blocks(src, dest, n):
    """The first ``n`` blank-line separated blocks of an M2 file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(src, encoding="utf-8") as f:
        text = f.read().split("\n\n")[:n]
    dest.write_text("\n\n".join(text) + "\n\n", encoding="utf-8")


@pytest.fixture(scope="module")
def sliced(data_dir, tmp_path_factory):
    """A SEQ2SEQ_DATA_DIR with slices of the learner and clean-English files."""
    root = tmp_path_factory.mktemp("learner-slice")
    src, dst = data_dir / LEARNER, root / LEARNER
    head_lines(src / "fce" / "fce-train.json", dst / "fce" / "fce-train.json", 25)
    head_lines(src / "fce" / "fce-dev.json", dst / "fce" / "fce-dev.json", 6)
    for level in "ABC":
        head_blocks(src / "wi" / f"{level}.train.gold.bea19.m2",
                    dst / "wi" / f"{level}.train.gold.bea19.m2", 60)
        head_blocks(src / "wi" / f"{level}.dev.gold.bea19.m2",
                    dst / "wi" / f"{level}.dev.gold.bea19.m2", 10)
    head_blocks(src / "conll14" / "official-2014.combined.m2",
                dst / "conll14" / "official-2014.combined.m2", 40)
    for name in ("brown", "masc_written", "masc_spoken"):
        head_lines(data_dir / "clean-en" / f"{name}.tok.txt",
                   root / "clean-en" / f"{name}.tok.txt", 300)
    for name in ("jfleg", "multi30k", "anki-fra-eng"):
        os.symlink(data_dir / name, root / name)
    return root


def recipe(data, run_dir, check=True, **env):
    env = {**os.environ, "SEQ2SEQ_DATA_DIR": str(data), "RUN_DIR": str(run_dir),
           "STOP_AFTER": "data", "SYNTHETIC_PER_SOURCE": "100", "VOCAB_SIZE": "600", **env}
    return run(["bash", REPO / "scripts" / "recipe_gec.sh"], env=env, check=check)


def test_recipe_data_step_on_a_slice(sliced, tmp_path):
    run_dir = tmp_path / "run"
    proc = recipe(sliced, run_dir, LEARNER_PATTERNS="1", SPELLCHECKER_NOISE="0.5")
    data = run_dir / "data"
    gec = json.loads((data / "gec_data.json").read_text())
    kinds = {}
    for name, c in gec["sources"].items():
        kinds.setdefault(c["kind"], []).append(c)
    # FCE and the three W&I files, each twice (LEARNER_COPIES=2); five synthetic sources
    fce_sents = read_fce(str(sliced / LEARNER / "fce" / "fce-train.json"))
    assert [c["pairs"] for c in kinds["fce"]] == [2 * len(fce_sents)]
    assert [c["pairs"] for c in kinds["m2"]] == [120, 120, 120]
    assert len(kinds["clean"]) == 5 and all(c["pairs"] <= 100 for c in kinds["clean"])
    synthetic = sum(c["pairs"] for c in kinds["clean"])
    assert gec["train_pairs"] == 2 * len(fce_sents) + 360 + synthetic
    assert "uncorrected detection spans" in proc.stdout
    # the two noise families: the training files' own edits, then the spellchecker
    patterns = kinds["learner-patterns"][0]
    assert patterns["sentences"] == len(fce_sents) + 180 and patterns["edits"] > 100
    assert kinds["spellchecker-noise"][0]["share"] == 0.5
    assert "learner-patterns: " in proc.stdout and "spellchecker-noise: 0.5" in proc.stdout
    # valid = FCE dev with its gold edits; the gold corrections are the valid targets
    gold = read_m2(str(data / "raw" / "valid.m2"))
    valid_src = read_text(data / "raw" / "valid.err")
    valid_tgt = read_text(data / "raw" / "valid.cor")
    assert len(gold) == len(valid_src) == len(valid_tgt) == kinds["learner-valid"][0]["sentences"]
    assert [" ".join(s.source) for s in gold] == valid_src
    assert [" ".join(s.corrected()) for s in gold] == valid_tgt
    assert read_text(data / "raw" / "valid.ref0") == valid_tgt
    assert (data / "bin" / "valid.err-cor.err.bin").is_file()
    # the test inputs, aligned with their gold files
    ev = run_dir / "eval"
    assert len(read_text(ev / "conll14.err")) == len(read_m2(str(ev / "conll14.m2"))) == 40
    assert len(read_text(ev / "wi-dev.err")) == len(read_m2(str(ev / "wi-dev.m2"))) == 30
    spell = read_text(ev / "jfleg-test-spellchecked.err")
    assert len(spell) == 747 and sum(bool(re.search("[A-Z]", s)) for s in spell) > 600
    # a second run keeps what is there
    again = recipe(sliced, run_dir)
    assert "GEC corpus" not in again.stdout and "STOP_AFTER=data" in again.stdout


def test_recipe_names_a_missing_corpus_and_a_bad_data_choice(sliced, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(recipe(empty, tmp_path / "r", check=False), "fce-train.json not found")
    assert_one_line_error(recipe(sliced, tmp_path / "r", check=False, DATA="nope"),
                          "DATA must be learner or synthetic")


def test_gec_data_learner_options_bad_input(sliced, tmp_path):
    fce = sliced / LEARNER / "fce" / "fce-dev.json"

    def gec_data(*args):
        return run([sys.executable, "-m", "preprocess.gec_data", "--out", tmp_path / "o",
                    *args], cwd=REPO, check=False)

    assert_one_line_error(gec_data("--fce", fce, "--learner-copies", "0"), "at least 1")
    assert_one_line_error(gec_data("--fce", fce, "--valid-fce", fce, "--jfleg-dir",
                                   sliced / "jfleg"), "both name the valid set")
    assert_one_line_error(gec_data("--fce", fce, "--spellchecker-noise", "2"), "in [0, 1]")
    assert_one_line_error(gec_data("--clean-text", fce, "--learner-patterns", "1"),
                          "--learner-patterns needs --m2 or --fce")
    bad = write(tmp_path / "bad.json", '{"text": "abc", "edits": [[0, [[1, 99, "x", "R"]]]]}\n')
    assert_one_line_error(gec_data("--fce", bad), "bad.json:1", "outside the 3-character")
