"""The preprocess package's input handling: normalisation, malformed rows, mismatched files.

Tiny files written in ``tmp_path``; the full pipeline on real corpora is in
``tests/integration/test_preprocess.py``.
"""
import sys

from support import assert_one_line_error, run

from preprocess.texttools.normalize import normalize
from preprocess import corpora
from preprocess.text import SplitStats, clean_pairs


def prepare(*args, check=True):
    return run([sys.executable, "-m", "preprocess.prepare", *args], check=check)


def _write(path, rows):
    path.write_bytes(b"".join((r if isinstance(r, bytes) else r.encode()) + b"\n" for r in rows))
    return path


def test_mismatched_line_counts(tmp_path):
    a = _write(tmp_path / "a.de", ["eins", "zwei", "drei"])
    b = _write(tmp_path / "b.en", ["one", "two"])
    proc = prepare("parallel", "--train-src", a, "--train-tgt", b, "--src-lang", "de",
                   "--tgt-lang", "en", "--out", tmp_path / "out", check=False)
    assert_one_line_error(proc, f"{a} has 3 lines but {b} has 2")
    assert not (tmp_path / "out" / "bin").exists()


def test_anki_malformed_rows_counted(tmp_path):
    _write(tmp_path / "fra.txt", ["Go.\tVa !\tCC-BY 2.0 (France)", "no tab here",
                                  "Hi.\tSalut !", "Run!\t"])
    pairs, _ = corpora.load_anki("fr", "en", tmp_path)
    stats = SplitStats()
    kept = clean_pairs(pairs, stats)
    assert kept == [(1, "Va !", "Go."), (3, "Salut !", "Hi.")]
    assert stats.as_dict()["skipped_lines"] == {"empty": [4], "malformed": [2]}


def test_normalize():
    assert normalize("  Ｈｅｌｌｏ\u00a0\u00a0wor\u200bld\t!\r") == "Hello world !"
    assert normalize("Cours\u202f!") == "Cours !"
    assert normalize("ﬁne \u2028 Straße", lowercase=True) == "fine straße"
    assert normalize("\ufeff\x00 ") == ""


def test_bpe_vocabulary_below_the_characters_is_one_line(tmp_path):
    """subword-nmt counts the characters against the symbols: with fewer symbols than
    characters it learns no merge and then exits on its own codes file."""
    rows = ["der hund läuft schnell", "die katze schläft im haus"] * 10
    a = _write(tmp_path / "a.de", rows)
    b = _write(tmp_path / "b.en", [r.upper() for r in rows])
    proc = prepare("parallel", "--train-src", a, "--train-tgt", b, "--src-lang", "de",
                   "--tgt-lang", "en", "--tokenizer", "bpe", "--vocab-size", "5",
                   "--valid-size", "2", "--out", tmp_path / "out", check=False)
    assert_one_line_error(proc, "--vocab-size 5 leaves bpe no merges", "raise --vocab-size")
    assert not (tmp_path / "out" / "bin").exists()
