"""The noise families applied after the rule-based errors, as ``preprocess.gec_data``
options: ``--learner-patterns SCALE`` (:mod:`.learner`) and ``--spellchecker-noise SHARE``
(:mod:`.spellchecker`), in that order."""
from __future__ import annotations

from typing import List, Optional

from preprocess.texttools.errors import InputError

KINDS = ("learner-patterns", "spellchecker-noise")


def add_arguments(group) -> None:
    group.add_argument("--learner-patterns", type=float, default=0.0, metavar="SCALE",
                       help="also make the gold edits of the --m2/--fce training files, "
                            "read backwards, in the synthetic pairs, each at the corpora's "
                            "own rate times SCALE (0: off; preprocess/noise/learner.py)")
    group.add_argument("--spellchecker-noise", type=float, default=0.0, metavar="SHARE",
                       help="pass this share of the synthetic lines through the inverted "
                            "spellchecker, last (0: off; needs symspellpy; "
                            "preprocess/noise/spellchecker.py)")


def check(learner_scale: float, spellchecker_share: float) -> None:
    if learner_scale < 0:
        raise InputError(f"--learner-patterns must not be negative, got {learner_scale}")
    if not 0.0 <= spellchecker_share <= 1.0:
        raise InputError(f"--spellchecker-noise must be in [0, 1], got {spellchecker_share}")


def after_rules(m2_files, fce_files, m2_annotator, learner_scale: float,
                spellchecker_share: float, seed: int, counts: dict) -> List[object]:
    """The noisers the options ask for (each with ``noise(sentence)``); what each read is
    added to ``counts`` (the manifest's sources)."""
    out: List[object] = []
    if learner_scale:
        from .learner import from_files
        noiser, counts["learner-patterns"] = from_files(m2_files, fce_files, m2_annotator,
                                                        learner_scale, seed)
        out.append(noiser)
    if spellchecker_share:
        from .spellchecker import SpellcheckerNoiser
        out.append(SpellcheckerNoiser(seed=seed, share=spellchecker_share))
        counts["spellchecker-noise"] = {"kind": "spellchecker-noise", "share": spellchecker_share}
    return out


def describe(c: dict) -> Optional[str]:
    """The summary line of a manifest entry of these kinds (None for other kinds)."""
    if c["kind"] == "spellchecker-noise":
        return f"  {c['kind']}: {c['share']:g} of the synthetic lines"
    if c["kind"] == "learner-patterns":
        return (f"  {c['kind']}: {c['edits']} edits of {c['spans']} spans learnt from "
                f"{c['sentences']} training sentences ({c['too_long']} longer than the spans "
                f"kept), applied at x{c['scale']:g}")
    return None


def save_caches(noisers) -> None:
    """Write the spellchecker's confusion sets looked up (see preprocess.texttools.spelling)."""
    for noiser in noisers:
        checker = getattr(noiser, "checker", None)
        if checker is not None:
            checker.save_cache()
