"""Build a grammatical-error-correction corpus and prepare it for fairseq.

::

    python -m preprocess.gec_data --out data/gec \\
        --multi30k-dir ../shared/data/multi30k \\
        --anki-file ../shared/data/anki-fra-eng/fra-eng.tsv.gz \\
        --jfleg-dir ../shared/data/jfleg --noise-copies 2 --seed 1

Languages: the source side is ``err`` (erroneous, learner-like text) and the target
side ``cor`` (its correction), so fairseq files are ``train.err-cor.err.bin`` etc.

Training pairs (all written to ``OUT/text/train.{err,cor}`` before preparation):

* synthetic pairs from clean English — ``--clean-text`` files (one sentence a line,
  gz ok), the English side of Multi30k train (``--multi30k-dir``) and of the Anki/Tatoeba
  file (``--anki-file``, first column); each sentence is PTB-tokenised like the GEC
  benchmarks (``--tokenize ptb``, see :mod:`preprocess.texttools.ptb`), deduplicated per source, and
  paired with ``--noise-copies`` noisy versions made by :class:`preprocess.noise.Noiser`
  (``--seed``, ``--rates``, ``--noise-scale``); a copy where no error fired stays as an
  identity pair, which teaches the model to leave correct text alone; with
  ``--join-sentences N`` consecutive sentences are first joined into lines of 1..N
  sentences, so that training inputs are as long as JFLEG's;
* ``--pairs SRC TGT`` user parallel files (tokenised like the clean text);
* ``--m2 FILE`` M2 files (CoNLL-2014 / BEA-2019, e.g. W&I train), annotator
  ``--m2-annotator`` (default 0, or ``all``: one pair per annotator);
* ``--fce FILE`` FCE v2.1 JSON files (:mod:`preprocess.fce`: character edits made token
  edits, nested and detection-only edits resolved and counted); with ``--learner-copies
  K`` the M2 and FCE pairs are written K times (oversampling the real errors against the
  synthetic ones);
* with ``--jfleg-dir`` and ``--jfleg-dev-copies K > 0``: JFLEG dev source paired with
  each of its 4 references, K times.  JFLEG dev is also the valid set, so validation
  GLEU is then no longer a held-out estimate (a warning says so) unless
  ``--jfleg-dev-holdout N`` keeps a seeded sample of N dev sentences out of training as
  the valid set (for checkpoint choice and for tuning ``--copy-bias``).
* with ``--jfleg-dev-noise-copies K``: the distinct references of those training dev
  sentences, noised K times like the clean text (essay-domain synthetic pairs).
* with ``--jfleg-dev-patterns SCALE``: the word edits of those training dev sentences
  (input against each reference, :mod:`preprocess.patterns`) are also made in every
  synthetic pair, after the rule-based errors, each at its observed rate times SCALE;
  then ``--learner-patterns`` and ``--spellchecker-noise`` (:mod:`preprocess.noise.families`).

A learner valid set (``--valid-fce FILE`` or ``--valid-m2 FILE``, e.g. FCE dev): its pairs
are the valid split, the corrected side is written as ``OUT/raw/valid.ref0``, the learner's
sentence as ``OUT/raw/valid.gleu-source`` and the gold edits as ``OUT/raw/valid.m2`` (for
``scripts/evaluate_gec.py --m2``): checkpoint choice and decoding settings are then made
on learner text that no test set shares. It excludes ``--jfleg-dir``, whose dev is the
valid set otherwise.

Evaluation sets (``--jfleg-dir``): valid = JFLEG dev (source, ref0), test = JFLEG test
(source, ref0), the source being the learner's sentence or, with ``--jfleg-source
spellchecked``, JFLEG's spellchecked version of it (then also in the dev training pairs),
or with ``spellchecked-cased`` that version with the learner's case restored where JFLEG
lowercased it (every test line; :mod:`preprocess.recase`);
all four references are written beside them as ``OUT/raw/{valid,test}.ref0..ref3``
(normalised like the rest of ``raw/``), and the learner's original sentence as
``OUT/raw/{valid,test}.gleu-source``: that is where ``--task gec --eval-gleu`` finds the
references and the GLEU source (GLEU penalises what is kept from the original).
JFLEG test is only meant for the final score (``scripts/evaluate_gec.py``).  Without
``--jfleg-dir`` a valid set of ``--valid-size`` pairs is carved from train (seeded,
single reference = its target).

Preparation is :func:`preprocess.frontends.prepare_parallel` (the ``parallel`` mode) with
one JOINT sentencepiece model (``OUT/spm/joint.model``, character coverage 1.0, so
every character of a rare name stays representable and can be copied) and
``--joined-dictionary`` (needed for shared encoder/decoder embeddings).  It writes
``OUT/{raw,tok,spm,bin}`` and ``OUT/prepare.json``; this tool adds ``OUT/text/`` and
``OUT/gec_data.json`` (sources, counts, seed, rates, tokenisation).

Invalid input (missing files, malformed M2, unknown rate names) -> ``error: <one line>``
on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from preprocess.layout import GEC_MANIFEST, GLEU_SOURCE, PREPARE_MANIFEST
from preprocess.texttools.errors import InputError
from preprocess.texttools.ptb import tokenize as ptb_tokenize

from . import corpora
from .cli import run_main
from .fce import FceCounts, fce_pairs
from .gec_sources import (_clean_lines, learner_valid, read_clean_sources,  # noqa: F401
                          read_jfleg, read_user_pairs)
from .m2 import annotator_arg, m2_pairs, write_m2
from .noise import DEFAULT_RATES, Chain, Noiser, families, parse_rates
from .patterns import PatternNoiser, learn as learn_patterns
from . import progress
from .progress import track
from .lines import write_lines

SRC_LANG = "err"   # erroneous (learner-like) text
TGT_LANG = "cor"   # corrected text
MANIFEST = GEC_MANIFEST   # the old name
NUM_JFLEG_REFS = len(corpora.JFLEG_REFS)
GLEU_SOURCE_SUFFIX = GLEU_SOURCE   # raw/{valid,test}.gleu-source: found by --task gec


# ----------------------------------------------------------------------------- building

def hold_out(rows: list, n: int, seed: int) -> Tuple[list, list, List[int]]:
    """Split JFLEG dev into (held-out valid rows, training rows, held-out indices).

    A seeded sample of ``n`` sentences, kept in file order, stays out of training so that
    checkpoint choice and decoding settings are tuned on sentences the model never saw.
    """
    if not 0 < n < len(rows):
        raise InputError(f"--jfleg-dev-holdout must be between 1 and {len(rows) - 1}, got {n}")
    held = sorted(random.Random(seed).sample(range(len(rows)), n))
    keep = set(held)
    return ([rows[i] for i in held], [r for i, r in enumerate(rows) if i not in keep], held)


def join_sentences(sentences: List[str], most: int, seed: int) -> List[str]:
    """Consecutive sentences joined into lines of 1..``most`` sentences (seeded sizes).

    Why: the clean sources are short (Anki ~6, Multi30k ~12 tokens) while JFLEG's
    sentences average ~18 and a fifth are over 25; a model that never saw a long input
    loses its place in one (it deletes or invents a whole span).  Joining keeps every
    sentence and every token, so an epoch costs the same.
    """
    if most <= 1:
        return list(sentences)
    rng, out, i = random.Random(seed), [], 0
    while i < len(sentences):
        k = rng.randint(1, most)
        out.append(" ".join(sentences[i:i + k]))
        i += k
    return out


def _noised_pairs(noiser: Noiser, sentences: List[str], copies: int,
                  learnt: Optional[PatternNoiser] = None, desc: str = "noising"):
    """``copies`` rounds of (noisy, clean) pairs over ``sentences``, and how many changed.

    With ``learnt`` the learners' own errors are added to the rule-based ones."""
    def noise(s):
        noisy = noiser.noise(s)
        return learnt.noise(noisy) if learnt is not None else noisy

    clean = [s for _ in range(copies) for s in sentences]
    pairs = [(noise(s), s) for s in track(clean, desc)]
    return pairs, sum(noisy != clean for noisy, clean in pairs)


def jfleg_patterns(dev_rows: list, scale: float, seed: int) -> Tuple[PatternNoiser, dict]:
    """A noiser with the edits of the training part of JFLEG dev (input -> each reference)."""
    pairs = [(row[0], ref) for row in dev_rows for ref in row[1:1 + NUM_JFLEG_REFS]]
    table = learn_patterns(pairs)
    info = {"kind": "jfleg-dev-patterns", "scale": scale, "sentences": len(dev_rows),
            "spans": len(table), "edits": sum(c for _, errs in table.values() for _, c in errs)}
    return PatternNoiser(table, scale=scale, seed=seed), info


@dataclasses.dataclass
class GecDataOptions:
    """Every option of a GEC corpus (the command line's, under the same names and with the
    same defaults: :func:`build_parser`); :meth:`check` refuses the bad ones."""

    out: str
    clean_text: Optional[List[str]] = None
    multi30k_dir: Optional[str] = None
    anki_file: Optional[str] = None
    max_sentences: int = 0
    noise_copies: int = 1
    join_sentences: int = 1
    seed: int = 1
    rates: Optional[str] = None
    noise_scale: float = 1.0
    tokenize: str = "ptb"
    pairs: Optional[List[Tuple[str, str]]] = None
    m2: Optional[List[str]] = None
    m2_annotator: object = 0
    fce: Optional[List[str]] = None
    fce_annotator: object = None
    learner_copies: int = 1
    valid_fce: Optional[str] = None
    valid_m2: Optional[str] = None
    jfleg_dir: Optional[str] = None
    jfleg_source: str = "original"
    jfleg_dev_holdout: int = 0
    jfleg_dev_copies: int = 0
    jfleg_dev_patterns: float = 0.0
    jfleg_dev_noise_copies: int = 0
    learner_patterns: float = 0.0
    spellchecker_noise: float = 0.0
    vocab_size: int = 8000
    max_len: int = 250
    valid_size: int = 1000
    workers: int = 1
    force: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "GecDataOptions":
        """The options of parsed command-line ``args`` (its other fields, such as the
        progress bars', are not this tool's)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in vars(args).items() if k in names})

    def check(self) -> dict:
        """One-line errors for bad values, before anything is read; the error rates."""
        out = Path(self.out)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} exists and is not a folder")
        if (out / PREPARE_MANIFEST).exists() and not self.force:
            raise InputError(f"{out} already holds prepared data; use --force to overwrite")
        try:
            rates = parse_rates(self.rates, scale=self.noise_scale)
        except (ValueError, OSError) as e:
            raise InputError(f"--rates: {e}") from None
        if min(self.noise_copies, self.jfleg_dev_copies, self.jfleg_dev_noise_copies) < 0:
            raise InputError("--noise-copies, --jfleg-dev-copies and --jfleg-dev-noise-copies "
                             "must not be negative")
        if self.jfleg_dev_patterns < 0:
            raise InputError("--jfleg-dev-patterns must not be negative, "
                             f"got {self.jfleg_dev_patterns}")
        families.check(self.learner_patterns, self.spellchecker_noise)
        if self.join_sentences < 1:
            raise InputError(f"--join-sentences must be at least 1, not {self.join_sentences}")
        if self.learner_copies < 1:
            raise InputError(f"--learner-copies must be at least 1, not {self.learner_copies}")
        return rates

    @property
    def jfleg_dev_in_train(self) -> bool:
        """Whether JFLEG dev feeds training (copies, noised references or patterns)."""
        return bool(self.jfleg_dev_copies or self.jfleg_dev_noise_copies
                    or self.jfleg_dev_patterns)


def build_pairs(args: GecDataOptions, rates) -> Tuple[List[Tuple[str, str]], dict,
                                                      Dict[str, list]]:
    """Training pairs, per-source counts, and the JFLEG splits (if any)."""
    tok = ptb_tokenize if args.tokenize == "ptb" else (lambda s: s)
    counts: dict = {}
    train: List[Tuple[str, str]] = []

    # JFLEG first: its training part may teach the noiser (--jfleg-dev-patterns)
    jfleg = read_jfleg(args.jfleg_dir, args.jfleg_source) if args.jfleg_dir else {}
    dev = jfleg.get("dev", [])
    held: List[int] = []
    if jfleg and args.jfleg_dev_holdout:
        jfleg["dev"], dev, held = hold_out(dev, args.jfleg_dev_holdout, args.seed)
    learnt = None
    if args.jfleg_dev_patterns:
        if not jfleg:
            raise InputError("--jfleg-dev-patterns needs --jfleg-dir")
        learnt, counts["jfleg-dev-patterns"] = jfleg_patterns(dev, args.jfleg_dev_patterns,
                                                              args.seed)

    after = families.after_rules(args.m2, args.fce, args.m2_annotator, args.learner_patterns,
                                 args.spellchecker_noise, args.seed, counts)
    learnt = Chain(([learnt] if learnt is not None else []) + after) if after else learnt
    noiser = Noiser(rates, seed=args.seed)
    for name, sentences, dropped in read_clean_sources(args.clean_text, args.multi30k_dir,
                                                       args.anki_file, args.max_sentences):
        lines = join_sentences([tok(s) for s in sentences], args.join_sentences, args.seed)
        pairs, changed = _noised_pairs(noiser, lines, args.noise_copies, learnt,
                                       f"noising {Path(name).name}")
        train.extend(pairs)
        counts[name] = {"kind": "clean", "sentences": len(sentences), "dropped": dropped,
                        "lines": len(lines), "pairs": len(pairs), "changed": changed}

    families.save_caches(after)
    for src, tgt in args.pairs or []:
        pairs, stats = read_user_pairs(src, tgt)
        train.extend((tok(s), tok(t)) for s, t in pairs)
        counts[f"{src} | {tgt}"] = {"kind": "pairs", "pairs": len(pairs), **stats.as_dict()}

    copies = args.learner_copies
    for path in args.m2 or []:
        pairs = m2_pairs(path, args.m2_annotator)
        train.extend(pairs * copies)
        counts[path] = {"kind": "m2", "pairs": len(pairs) * copies, "sentences": len(pairs),
                        "copies": copies, "annotator": args.m2_annotator}
    for path in args.fce or []:
        fce = FceCounts()
        pairs = fce_pairs(path, args.fce_annotator, fce)
        train.extend(pairs * copies)
        counts[path] = {"kind": "fce", "pairs": len(pairs) * copies, "copies": copies,
                        **fce.as_dict()}

    if held:
        counts["jfleg-dev-holdout"] = {"kind": "jfleg-dev-holdout", "sentences": len(held),
                                       "indices": held}
    if jfleg and args.jfleg_dev_copies:
        for _ in range(args.jfleg_dev_copies):
            for row in dev:
                train.extend((row[0], ref) for ref in row[1:1 + NUM_JFLEG_REFS])
        counts["jfleg-dev"] = {"kind": "jfleg-dev", "copies": args.jfleg_dev_copies,
                               "source": args.jfleg_source, "sentences": len(dev),
                               "pairs": args.jfleg_dev_copies * len(dev) * NUM_JFLEG_REFS}
    if jfleg and args.jfleg_dev_noise_copies:
        # the references are clean essay-domain English: noised like the clean text, they
        # add synthetic pairs from the learners' own topics (held-out rows are not used)
        refs = list(dict.fromkeys(ref for row in dev for ref in row[1:1 + NUM_JFLEG_REFS]))
        pairs, changed = _noised_pairs(noiser, refs, args.jfleg_dev_noise_copies, learnt)
        train.extend(pairs)
        counts["jfleg-dev-noised"] = {"kind": "jfleg-dev-noised",
                                      "copies": args.jfleg_dev_noise_copies,
                                      "sentences": len(refs), "pairs": len(pairs),
                                      "changed": changed}
    if not train:
        raise InputError("no training pairs: give --clean-text, --multi30k-dir, --anki-file, "
                           "--pairs, --m2, --fce, --jfleg-dev-copies or "
                           "--jfleg-dev-noise-copies")
    return train, counts, jfleg


def build(args) -> dict:
    """Build the corpus of :class:`GecDataOptions` ``args`` (parsed command-line options are
    taken too): checked, the pairs built and written, then prepared; returns both
    manifests."""
    from .frontends import prepare_parallel

    if not isinstance(args, GecDataOptions):
        args = GecDataOptions.from_args(args)
    rates = args.check()
    out = Path(args.out)
    valid = learner_valid(args.valid_fce, args.valid_m2, args.jfleg_dir)
    train, counts, jfleg = build_pairs(args, rates)
    text = out / "text"
    write_lines(text / f"train.{SRC_LANG}", (s for s, _ in train))
    write_lines(text / f"train.{TGT_LANG}", (t for _, t in train))
    files = {"train_src": text / f"train.{SRC_LANG}", "train_tgt": text / f"train.{TGT_LANG}"}
    for fairseq_split, jsplit in (("valid", "dev"), ("test", "test")):
        if jsplit in jfleg:
            rows = jfleg[jsplit]
            write_lines(text / f"{fairseq_split}.{SRC_LANG}", (r[0] for r in rows))
            write_lines(text / f"{fairseq_split}.{TGT_LANG}", (r[1] for r in rows))
            files[f"{fairseq_split}_src"] = text / f"{fairseq_split}.{SRC_LANG}"
            files[f"{fairseq_split}_tgt"] = text / f"{fairseq_split}.{TGT_LANG}"
    if valid:
        write_lines(text / f"valid.{SRC_LANG}", (src for _, src, _ in valid["rows"]))
        write_lines(text / f"valid.{TGT_LANG}", (tgt for _, _, tgt in valid["rows"]))
        files["valid_src"] = text / f"valid.{SRC_LANG}"
        files["valid_tgt"] = text / f"valid.{TGT_LANG}"
    if jfleg and args.jfleg_dev_in_train and not args.jfleg_dev_holdout:
        print("warning: JFLEG dev is both in train (--jfleg-dev-copies, --jfleg-dev-noise-copies "
              "or --jfleg-dev-patterns) and the valid set: validation GLEU is optimistic",
              file=sys.stderr)

    manifest = prepare_parallel(
        files["train_src"], files["train_tgt"], SRC_LANG, TGT_LANG, out,
        valid_src=files.get("valid_src"), valid_tgt=files.get("valid_tgt"),
        test_src=files.get("test_src"), test_tgt=files.get("test_tgt"),
        tokenizer="sentencepiece", vocab_size=args.vocab_size, joint=True,
        character_coverage=1.0, joined_dictionary=True, max_len=args.max_len,
        workers=args.workers, force=True, valid_size=args.valid_size, seed=args.seed)

    refs = {}
    for fairseq_split, jsplit in (("valid", "dev"), ("test", "test")):
        if jsplit not in jfleg:
            continue
        rows = jfleg[jsplit]
        kept = manifest["counts"][fairseq_split]["kept"]
        if kept != len(rows):   # cannot happen: rows are pre-cleaned the same way
            raise InputError(f"{fairseq_split}: prepare kept {kept} of {len(rows)} lines; "
                               "references would be misaligned")
        refs[fairseq_split] = []
        for i in range(NUM_JFLEG_REFS):
            path = out / "raw" / f"{fairseq_split}.ref{i}"
            write_lines(path, (r[1 + i] for r in rows))
            refs[fairseq_split].append(str(path.relative_to(out)))
        # the learner's original sentence, which GLEU penalises (see read_jfleg)
        write_lines(out / "raw" / f"{fairseq_split}.{GLEU_SOURCE_SUFFIX}", (r[-1] for r in rows))

    if valid:
        kept = manifest["counts"]["valid"]["kept"]
        if kept != len(valid["rows"]):   # cannot happen: rows are pre-cleaned the same way
            raise InputError(f"valid: prepare kept {kept} of {len(valid['rows'])} lines; "
                             "references would be misaligned")
        raw = out / "raw"
        write_lines(raw / "valid.ref0", (tgt for _, _, tgt in valid["rows"]))
        write_lines(raw / f"valid.{GLEU_SOURCE_SUFFIX}", (src for _, src, _ in valid["rows"]))
        write_m2([s for s, _, _ in valid["rows"]], raw / "valid.m2")
        refs["valid"] = ["raw/valid.ref0"]
        counts["learner-valid"] = {"kind": "learner-valid", "file": valid["file"],
                                   "sentences": len(valid["rows"]),
                                   "dropped": valid["dropped"], "m2": "raw/valid.m2"}

    gec_manifest = {
        "src_lang": SRC_LANG,
        "tgt_lang": TGT_LANG,
        "tokenize": args.tokenize,
        "seed": args.seed,
        "noise_copies": args.noise_copies,
        "join_sentences": args.join_sentences,
        "rates": rates,
        "sources": counts,
        "train_pairs": len(train),
        "jfleg_dir": str(args.jfleg_dir) if args.jfleg_dir else None,
        "jfleg_dev_copies": args.jfleg_dev_copies if args.jfleg_dir else 0,
        "jfleg_dev_noise_copies": args.jfleg_dev_noise_copies if args.jfleg_dir else 0,
        "jfleg_dev_patterns": args.jfleg_dev_patterns if args.jfleg_dir else 0,
        "references": refs,
        "jfleg_source": args.jfleg_source if args.jfleg_dir else None,
        "gleu_source": {s: f"raw/{s}.{GLEU_SOURCE_SUFFIX}" for s in refs},
        "spm_model": manifest["subword_models"][SRC_LANG],
        "data_bin": manifest["data_bin"],
    }
    with open(out / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(gec_manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return {"prepare": manifest, "gec": gec_manifest}


# ----------------------------------------------------------------------------- CLI

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m preprocess.gec_data",
        description="Build a GEC corpus (synthetic + real pairs, JFLEG valid/test) and prepare "
                    f"it for fairseq ({SRC_LANG} -> {TGT_LANG}, joint sentencepiece).")
    p.add_argument("--out", required=True, help="output folder")
    g = p.add_argument_group("clean English (made into synthetic pairs)")
    g.add_argument("--clean-text", nargs="+", metavar="FILE", help="one sentence a line (gz ok)")
    g.add_argument("--multi30k-dir", help="folder with Multi30k train.en(.gz)")
    g.add_argument("--anki-file", help="Anki/Tatoeba TSV (English<TAB>French...), gz/zip ok")
    g.add_argument("--max-sentences", type=int, default=0,
                   help="use only the first N sentences of each clean source (0 = all)")
    g.add_argument("--noise-copies", type=int, default=1, help="noisy copies per sentence")
    g.add_argument("--join-sentences", type=int, default=1, metavar="N",
                   help="join consecutive clean sentences into lines of 1..N sentences "
                        "(seeded) before noising, for inputs as long as JFLEG's (default 1)")
    g.add_argument("--seed", type=int, default=1, help="noise (and valid carving) seed")
    g.add_argument("--rates", default=None,
                   help="error rates, key=value,... or JSON (keys: "
                        + ", ".join(DEFAULT_RATES) + ")")
    g.add_argument("--noise-scale", type=float, default=1.0, help="multiply the default rates")
    families.add_arguments(g)
    g.add_argument("--tokenize", choices=("ptb", "none"), default="ptb",
                   help="word tokenisation of clean text and --pairs (ptb = like JFLEG/CoNLL)")
    g = p.add_argument_group("real pairs")
    g.add_argument("--pairs", nargs=2, action="append", metavar=("SRC", "TGT"),
                   help="parallel erroneous/corrected files (repeatable)")
    g.add_argument("--m2", nargs="+", metavar="FILE", help="M2 files (CoNLL-2014 / BEA-2019)")
    g.add_argument("--m2-annotator", default=0, type=annotator_arg,
                   help="annotator id used from M2 files, or 'all' (default 0)")
    g.add_argument("--fce", nargs="+", metavar="FILE",
                   help="FCE v2.1 JSON files (one essay a line, character-offset edits)")
    g.add_argument("--fce-annotator", default=None, type=annotator_arg,
                   help="annotator id used from FCE files, or 'all' (default: each essay's "
                        "first; FCE has one)")
    g.add_argument("--learner-copies", type=int, default=1, metavar="K",
                   help="write the --m2 and --fce pairs K times (oversampling, default 1)")
    g.add_argument("--valid-fce", metavar="FILE",
                   help="valid set from an FCE JSON file (e.g. fce-dev.json), with its gold "
                        "M2 written to OUT/raw/valid.m2")
    g.add_argument("--valid-m2", metavar="FILE",
                   help="valid set from an M2 file (annotator 0), gold copied to "
                        "OUT/raw/valid.m2")
    g.add_argument("--jfleg-dir", help="JFLEG folder (dev.* = valid set, test.* = test set)")
    g.add_argument("--jfleg-source", choices=corpora.JFLEG_INPUTS, default="original",
                   help="model input for JFLEG dev/test: the learner's sentence, JFLEG's "
                        "spellchecked version, or that with the learner's case put back "
                        "(spellchecked-cased: test's spellchecked file is all lowercase); "
                        "GLEU still penalises the original")
    g.add_argument("--jfleg-dev-holdout", type=int, default=0, metavar="N",
                   help="valid set = a seeded sample of N JFLEG dev sentences, kept out of "
                        "training; the rest of dev goes to training (--jfleg-dev-copies)")
    g.add_argument("--jfleg-dev-copies", type=int, default=0,
                   help="also train on JFLEG dev (src paired with each of the 4 refs) K times")
    g.add_argument("--jfleg-dev-patterns", type=float, default=0.0, metavar="SCALE",
                   help="also make the errors of the training part of JFLEG dev in the "
                        "synthetic pairs, each at its observed rate times SCALE (0: off; "
                        "see preprocess/patterns.py)")
    g.add_argument("--jfleg-dev-noise-copies", type=int, default=0, metavar="K",
                   help="also noise the (distinct) references of the training part of JFLEG "
                        "dev K times, with --rates, as in-domain synthetic pairs")
    g = p.add_argument_group("preparation (preprocess.prepare parallel)")
    g.add_argument("--vocab-size", type=int, default=8000, help="joint sentencepiece vocabulary")
    g.add_argument("--max-len", type=int, default=250, help="drop longer train pairs (subwords)")
    g.add_argument("--valid-size", type=int, default=1000,
                   help="valid pairs carved from train when there is no --jfleg-dir")
    g.add_argument("--workers", type=int, default=1)
    g.add_argument("--force", action="store_true", help="overwrite prepared data in --out")
    progress.add_arguments(p)
    return p


def summary(result: dict, out) -> str:
    gec = result["gec"]
    lines = [f"GEC corpus {gec['src_lang']}->{gec['tgt_lang']}: {gec['train_pairs']} training "
             f"pairs written to {Path(out) / 'text'}"]
    for name, c in gec["sources"].items():
        if c["kind"] == "jfleg-dev-patterns":
            lines.append(f"  {c['kind']}: {c['edits']} edits of {c['spans']} spans learnt from "
                         f"{c['sentences']} JFLEG dev sentences, applied at x{c['scale']:g}")
            continue
        if c["kind"] in families.KINDS:
            lines.append(families.describe(c))
            continue
        if c["kind"] == "learner-valid":
            lines.append(f"  valid: {c['sentences']} sentences of {c['file']} "
                         f"({c['dropped']} empty left out), gold edits in {c['m2']}")
            continue
        if "pairs" not in c:   # the held-out part of JFLEG dev
            lines.append(f"  {c['kind']}: {c['sentences']} JFLEG dev sentences kept out of "
                         "training, used as the valid set")
            continue
        extra = f", {c['changed']} with errors" if "changed" in c else ""
        if "lines" in c and c["lines"] != c["sentences"]:   # --join-sentences > 1
            extra += f" (from {c['sentences']} sentences joined into {c['lines']} lines)"
        if c["kind"] == "jfleg-dev":
            extra += (f" ({c['sentences']} sentences x {NUM_JFLEG_REFS} references x "
                      f"{c['copies']} copies, {c['source']} source)")
        elif c["kind"] == "jfleg-dev-noised":
            extra += f" ({c['copies']} noised copies of {c['sentences']} distinct references)"
        if c["kind"] in ("m2", "fce") and c["copies"] > 1:
            extra += f" ({c['copies']} copies)"
        if c["kind"] == "fce":
            extra += (f"; {c['essays']} essays, {c['sentences']} sentences, "
                      f"{c['edits']} edits; {c['detection_with_corrections']} detection spans "
                      f"framing corrections, {c['detection_only']} uncorrected detection spans "
                      f"({c['sentences_skipped']} sentences skipped), "
                      f"{c['nested_in_correction']} nested and {c['overlapping']} overlapping "
                      f"corrections ignored, {c['sentences_joined']} sentence ends joined")
        # JFLEG's parts are named by their kind; files and user pairs by their path
        label = c["kind"] if name == c["kind"] else f"{c['kind']}: {name}"
        lines.append(f"  {label}: {c['pairs']} pairs{extra}")
    for split, refs in gec["references"].items():
        lines.append(f"  {split}: {len(refs)} references {', '.join(refs)}")
    from .prepare import summary as prepare_summary
    lines.append(prepare_summary(result["prepare"], out))
    return "\n".join(lines)


def _main(argv) -> int:
    args = build_parser().parse_args(argv)
    progress.configure_from(args)
    result = build(args)
    print(summary(result, args.out))
    return 0


def main(argv=None) -> int:
    return run_main(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
