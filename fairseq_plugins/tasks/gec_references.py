"""Where the GLEU references and source of a GEC validation set come from.

References (first match wins):

1. ``--eval-gleu-refs``: comma-separated files, a pattern with ``{i}``
   (``/data/dev.ref{i}``), or a glob (``/data/dev.ref*``);
2. ``DATA/<split>.ref0``, ``DATA/<split>.ref1``, ... beside the binarised data;
3. ``DATA/../raw/<split>.ref0``, ... — what ``python -m preprocess.gec_data`` writes;
4. none found: the target side of the validation set is the single reference (warning).

The GLEU *source* (GLEU penalises n-grams kept from it) is ``--eval-gleu-source``, else
``<split>.gleu-source`` in the folder the references were found in (the learner's
original sentence, which ``preprocess.gec_data`` writes also when the model reads
JFLEG's spellchecked text), else ``<split>.<source-lang>`` there, else the decoded
source tokens. Every file must have one line per validation sentence.
"""
import glob
import logging
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from preprocess.layout import GLEU_SOURCE
from preprocess.texttools import gleu
from preprocess.texttools.errors import InputError
from preprocess.texttools.files import read_text

logger = logging.getLogger(__name__)


@dataclass
class GleuReferences:
    """What GLEU needs of one validation split, indexed by sentence id."""

    split: str
    refs: Optional[List[Tuple[str, ...]]]   # None: the target side is the reference
    source: Optional[List[str]]             # None: the decoded source tokens
    rindex: np.ndarray                      # the reference drawn per iteration, sentence


def _from_spec(spec: str) -> List[str]:
    if "{i}" in spec:
        files, i = [], 0
        while os.path.isfile(spec.format(i=i)):
            files.append(spec.format(i=i))
            i += 1
    elif "," in spec or os.path.isfile(spec):
        files = [p.strip() for p in spec.split(",") if p.strip()]
    else:
        files = sorted(glob.glob(spec))
    missing = [p for p in files if not os.path.isfile(p)]
    if not files or missing:
        raise InputError(f"--eval-gleu-refs {spec}: no such reference file(s) "
                         f"{missing or ''}".rstrip())
    return files


def find_refs(spec: Optional[str], data_dir: str, split: str) -> List[str]:
    """The reference files of ``split``, in the order of the module doc; [] if none."""
    if spec:
        return _from_spec(spec)
    for folder in (data_dir, os.path.join(data_dir, os.pardir, "raw")):
        files, i = [], 0
        while os.path.isfile(os.path.join(folder, f"{split}.ref{i}")):
            files.append(os.path.normpath(os.path.join(folder, f"{split}.ref{i}")))
            i += 1
        if files:
            return files
    return []


def _read_column(path: str, what: str, n: int, split: str) -> List[str]:
    lines = read_text(path, what)
    if len(lines) != n:
        raise InputError(f"{what} {path} has {len(lines)} lines but the {split} set has "
                         f"{n} sentences")
    return lines


def find_source(spec: Optional[str], ref_files: Sequence[str], split: str,
                source_lang: str) -> Optional[str]:
    """The GLEU source file: ``spec``, else beside the references, else None."""
    if spec or not ref_files:
        return spec or None
    folder = os.path.dirname(ref_files[0])
    candidates = [os.path.join(folder, f"{split}.{ext}") for ext in (GLEU_SOURCE, source_lang)]
    return next((c for c in candidates if os.path.isfile(c)), None)


def load(split: str, n: int, data_dir: str, refs_spec: Optional[str],
         source_spec: Optional[str], source_lang: str, iterations: int) -> GleuReferences:
    """References and source of the ``n`` sentences of ``split``, checked line by line."""
    ref_files = find_refs(refs_spec, data_dir, split)
    refs = None
    if ref_files:
        refs = list(zip(*[_read_column(p, "GLEU reference", n, split) for p in ref_files]))
    else:
        logger.warning(f"gec: no reference files for {split} (looked for {split}.ref0 in "
                       "DATA and DATA/../raw); GLEU uses the single target of each sentence")
    src_path = find_source(source_spec, ref_files, split, source_lang)
    source = _read_column(src_path, "GLEU source", n, split) if src_path else None
    num_refs = len(ref_files) if ref_files else 1
    iters = iterations if num_refs > 1 else 1
    logger.info(f"gec: GLEU on {split} with {num_refs} reference(s)"
                + (f" from {', '.join(ref_files)}" if ref_files else "")
                + (f", source {src_path}" if src_path else ", decoded source"))
    return GleuReferences(split, refs, source, gleu.ref_indices(n, num_refs, iters))
