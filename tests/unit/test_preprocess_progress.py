"""Progress bars of preprocess.prepare and preprocess.gec_data (preprocess/progress.py):
on inputs of SEQ2SEQ_PROGRESS_MIN_LINES lines or more (100,000 by default, 50 here), on
stderr where it is a terminal or --progress asks, never with --quiet or SEQ2SEQ_QUIET=1;
the summary on stdout stays what it was."""
import io
import json
import re
import sys

import pytest

from support import run

from preprocess import gec_data, prepare, progress
from preprocess.noise import Noiser

LINES = [f"Der Hund {i} läuft über die Wiese ." for i in range(60)]


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def stderr(monkeypatch):
    """stderr as a string, a terminal or not; the threshold at 50 lines; no flags given."""
    monkeypatch.setenv("SEQ2SEQ_PROGRESS_MIN_LINES", "50")
    monkeypatch.delenv("SEQ2SEQ_QUIET", raising=False)
    monkeypatch.setattr(progress, "_forced", None)

    def make(terminal):
        stream = Terminal() if terminal else io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        return stream
    return make


def shown(stream, items=LINES, desc="cleaning"):
    assert list(progress.track(items, desc)) == list(items)
    return stream.getvalue()


def test_a_bar_on_a_terminal_and_where_asked_for(stderr):
    assert "cleaning: 100%" in shown(stderr(terminal=True))
    assert shown(stderr(terminal=False)) == ""
    progress.configure(progress=True)
    assert "60/60" in shown(stderr(terminal=False))
    assert shown(stderr(terminal=False), LINES[:49]) == ""   # under the threshold


def test_quiet_or_seq2seq_quiet_shows_no_bar_even_on_a_terminal(stderr, monkeypatch):
    progress.configure(progress=True, quiet=True)
    assert shown(stderr(terminal=True)) == ""
    progress.configure()
    monkeypatch.setenv("SEQ2SEQ_QUIET", "1")
    assert shown(stderr(terminal=True)) == ""


@pytest.mark.parametrize("module", [prepare, gec_data])
def test_both_commands_take_progress_and_quiet(module, stderr):
    required = {prepare: ["parallel", "--train-src", "a", "--train-tgt", "b", "--src-lang",
                          "de", "--tgt-lang", "en"], gec_data: []}[module]
    for flags, expected in (([], None), (["--progress"], True), (["--progress", "--quiet"], False)):
        args = module.build_parser().parse_args([*required, "--out", "o", *flags])
        progress.configure_from(args)
        assert progress._forced is expected and "progress" not in vars(args)


def test_gec_data_cleaning_and_noising_show_bars(stderr):
    stream = stderr(terminal=True)
    sentences, dropped = gec_data._clean_lines([line.encode() for line in LINES],
                                               desc="cleaning clean.txt")
    pairs, _ = gec_data._noised_pairs(Noiser(seed=1), sentences, 1, desc="noising clean.txt")
    assert (len(sentences), dropped, len(pairs)) == (60, 0, 60)
    assert "cleaning clean.txt: 100%" in stream.getvalue()
    assert "noising clean.txt: 100%" in stream.getvalue()


def test_prepare_with_progress_shows_bars_and_keeps_its_summary(tmp_path):
    """The real command, --progress with stderr not a terminal: bars for cleaning and
    segmenting on stderr; stdout is the summary that prepare.json gives, unchanged."""
    for lang in ("de", "en"):
        (tmp_path / f"train.{lang}").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    proc = run([sys.executable, "-m", "preprocess.prepare", "parallel", "--src-lang", "de",
                "--tgt-lang", "en", "--train-src", tmp_path / "train.de", "--train-tgt",
                tmp_path / "train.en", "--valid-size", "5", "--vocab-size", "60",
                "--out", tmp_path / "out", "--progress"],
               env={"SEQ2SEQ_PROGRESS_MIN_LINES": "50", "SEQ2SEQ_QUIET": ""})
    for desc in ("cleaning", "segmenting train.de", "segmenting train.en"):
        assert f"{desc}: 100%" in proc.stderr, proc.stderr
    # the steps without a loop of ours: the seconds they took
    assert re.search(r"training sentencepiece de \(55 lines\): \d\d:\d\d", proc.stderr)
    assert re.search(r"binarising with fairseq-preprocess \(60 lines\): \d\d:\d\d",
                     proc.stderr)
    assert "| 60/60 " in proc.stderr and "| 55/55 " in proc.stderr
    manifest = json.loads((tmp_path / "out" / "prepare.json").read_text())
    assert proc.stdout == prepare.summary(manifest, tmp_path / "out") + "\n"
