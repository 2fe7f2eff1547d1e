"""The sources of a GEC corpus, read and cleaned: clean English (one sentence a line,
Multi30k's English side, Anki's), user pairs, JFLEG's splits and the learner valid set
(:mod:`preprocess.gec_data` builds the corpus from them)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List, Tuple

from preprocess.texttools.errors import InputError
from preprocess.texttools.normalize import normalize

from . import corpora
from .fce import read_fce
from .lines import read_lines, read_parallel, read_tsv
from .m2 import read_m2
from .progress import track
from .recase import recase_rows
from .text import SplitStats, clean_pairs, decode_line


def _clean_lines(raw_lines: Iterable[bytes], dedupe: bool = True,
                 desc: str = "cleaning") -> Tuple[List[str], int]:
    """Decoded, normalised, non-empty (optionally unique) lines and how many were dropped."""
    out, seen, dropped = [], set(), 0
    for raw in track(raw_lines, desc):
        text = decode_line(raw) if raw is not None else None
        text = normalize(text) if text is not None else ""
        if not text or (dedupe and text in seen):
            dropped += 1
            continue
        seen.add(text)
        out.append(text)
    return out, dropped


def _require_file(path, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} {p} not found")
    return p


def multi30k_english(folder) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--multi30k-dir {folder} is not a folder")
    for name in ("train.en.gz", "train.en"):
        if (folder / name).is_file():
            return folder / name
    raise InputError(f"--multi30k-dir {folder} has no train.en(.gz)")


def read_clean_sources(clean_text=(), multi30k_dir=None, anki_file=None,
                       max_sentences: int = 0) -> List[Tuple[str, List[str], int]]:
    """``[(name, sentences, dropped), ...]`` for every clean-English source given (the
    first ``max_sentences`` of each; 0: all)."""
    sources = []
    for path in clean_text or []:
        p = _require_file(path, "--clean-text file")
        sources.append((str(p), *_clean_lines(read_lines(p), desc=f"cleaning {p.name}")))
    if multi30k_dir:
        p = multi30k_english(multi30k_dir)
        sources.append((str(p), *_clean_lines(read_lines(p), desc=f"cleaning {p.name}")))
    if anki_file:
        p = _require_file(anki_file, "--anki-file")
        rows = read_tsv(p, [corpora.ANKI_COLUMNS["en"]])
        sources.append((str(p), *_clean_lines([r[1] for r in rows], desc=f"cleaning {p.name}")))
    if max_sentences:
        sources = [(n, s[:max_sentences], d) for n, s, d in sources]
    return sources


def read_user_pairs(src, tgt) -> Tuple[List[Tuple[str, str]], SplitStats]:
    _require_file(src, "--pairs source file")
    _require_file(tgt, "--pairs target file")
    stats = SplitStats()
    kept = clean_pairs(read_parallel(src, tgt), stats)
    return [(s, t) for _, s, t in kept], stats


def read_jfleg(folder, source: str = "original") -> Dict[str, List[Tuple[str, ...]]]:
    """``{"dev"|"test": [(input, ref0, ref1, ref2, ref3, original), ...]}``, normalised, aligned.

    ``input`` is what the model reads: the learner's ``src`` (``source="original"``),
    JFLEG's ``spellchecked.src``, or (``"spellchecked-cased"``) that with the case of
    ``src`` put back on lines that have no capital letter (all of test's, see
    :mod:`preprocess.recase`).  ``original`` is always the learner's ``src``: GLEU
    penalises n-grams kept from *that* sentence, whichever input the system was given
    (that is how JFLEG scores its spellchecked baseline).
    """
    if not Path(folder).is_dir():
        raise InputError(f"--jfleg-dir {folder} is not a folder")
    splits, _ = corpora.load_jfleg(Path(folder), source)
    out = {}
    for split, tuples in splits.items():
        # (lineno, input, ref0..3, original): one cleaning pass keeps all sides aligned
        kept = clean_pairs(tuples, SplitStats())
        if source == "spellchecked-cased":
            kept = recase_rows(kept)
        out[split] = [tuple(t[1:]) for t in kept]
        if not out[split]:
            raise InputError(f"JFLEG {split} in {folder} has no usable lines")
    return out


def learner_valid(valid_fce=None, valid_m2=None, jfleg_dir=None):
    """The ``--valid-fce`` / ``--valid-m2`` sentences (M2 blocks), or None.

    Sentences whose source or correction is empty after normalisation are left out (and
    counted), as they could not be a valid pair; the gold M2 written holds the same ones.
    """
    if valid_fce and valid_m2:
        raise InputError("give --valid-fce or --valid-m2, not both")
    if not (valid_fce or valid_m2):
        return None
    if jfleg_dir:
        raise InputError("--valid-fce/--valid-m2 and --jfleg-dir both name the valid set; "
                         "score JFLEG with scripts/evaluate_gec.py --jfleg-dir instead")
    sentences = read_fce(valid_fce) if valid_fce else read_m2(valid_m2)
    kept, dropped = [], 0
    for s in sentences:
        ann = s.first_annotator if valid_fce else 0   # --valid-m2: annotator 0
        src, tgt = normalize(" ".join(s.source)), normalize(" ".join(s.corrected(ann)))
        if src and tgt:
            kept.append((s, src, tgt))
        else:
            dropped += 1
    if not kept:
        raise InputError(f"{valid_fce or valid_m2}: no usable valid sentences")
    return {"file": str(valid_fce or valid_m2), "rows": kept, "dropped": dropped}
