"""Prepare a corpus for fairseq: ``python -m preprocess.prepare <corpus> [options]``.

Corpora::

    multi30k --src de --tgt en        Multi30k task 1 (de, en, fr): train / val / test_2016_flickr
    anki --src en --tgt fr            Tatoeba fra-eng; seeded leakage-free valid/test carving
    jfleg [--source spellchecked[-cased]]  JFLEG dev/test: plain normalised text, 4 references
    parallel --train-src F --train-tgt F --src-lang X --tgt-lang Y
             [--valid-src F --valid-tgt F] [--test-src F --test-tgt F]
    qa --format {squad,coqa,cmu-qa,twcs} --input PATH [DEV]
                                      question answering / dialogue -> src/tgt (see qa.py)

Translation pipeline (multi30k, anki, parallel, qa), all under ``--out OUT``
(:mod:`preprocess.frontends` does 1-2 per corpus, :mod:`preprocess.pipeline` 3-7):

1. read (gz/zip/plain) and check that both sides have the same number of lines;
2. decode each line strictly as UTF-8, NFKC + whitespace normalisation, skip pairs that are
   malformed / invalid UTF-8 / empty (counted, first line numbers reported);
3-7. :mod:`preprocess.pipeline`: subword model(s) trained on train, every split segmented
   (train pairs over ``--max-len`` dropped), ``OUT/raw`` and ``OUT/tok``,
   ``fairseq-preprocess`` into ``OUT/bin``, ``OUT/prepare.json`` (its docstring has each step).

JFLEG writes ``OUT/raw/{dev,test}.src`` and ``.ref0``..``.ref3`` (plus ``OUT/tok/`` if
``--spm-model`` is given); no binarisation.

Every user-facing failure is an ``InputError``: ``error: <one line>`` on stderr, exit 2.
"""
import argparse
import dataclasses
import sys
from pathlib import Path

from . import corpora, progress, qa, subword
from .cli import run_main
from .frontends import (prepare_anki, prepare_jfleg, prepare_multi30k, prepare_parallel,
                        prepare_qa)
from .pipeline import MANIFEST, Options
from .text import SplitStats


# --- command line ---------------------------------------------------------------------

def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("output")
    g.add_argument("--out", required=True, help="output folder")
    g.add_argument("--force", action="store_true",
                   help="overwrite an OUT that already holds prepared data")
    g.add_argument("--lowercase", action="store_true", help="lower-case all text (raw/ too)")
    g.add_argument("--reverse-source", action="store_true",
                   help="reverse source token order after subword segmentation")
    progress.add_arguments(common)

    located = argparse.ArgumentParser(add_help=False)
    g = located.add_argument_group("where the corpus is")
    g.add_argument("--raw-dir", help="folder holding the corpus files (default: "
                   "$SEQ2SEQ_DATA_DIR/<folder>, else download into the cache)")
    g.add_argument("--base-url", help="mirror base URL laid out like the shared data folder "
                   "(<base>/<folder>/<file>, file:// works); default $SEQ2SEQ_DATA_URL or the "
                   "public upstream addresses")
    g.add_argument("--cache-dir", help="download cache root (default $SEQ2SEQ_CACHE_DIR or "
                   "~/.cache/fairseq_plugins)")

    tr = argparse.ArgumentParser(add_help=False, parents=[common])
    g = tr.add_argument_group("subwords and binarisation")
    g.add_argument("--tokenizer", choices=subword.KINDS, default="sentencepiece")
    g.add_argument("--vocab-size", type=int, default=8000)
    g.add_argument("--joint", action="store_true", help="one subword model for both languages")
    g.add_argument("--character-coverage", type=float, default=1.0)
    g.add_argument("--joined-dictionary", action="store_true",
                   help="passed to fairseq-preprocess")
    g.add_argument("--max-len", type=int, default=250,
                   help="skip train pairs with more subword tokens on either side (0 = no limit)")
    g.add_argument("--train-limit", type=int, help="use only the first N train pairs")
    g.add_argument("--workers", type=int, default=1)

    def seeded(p, test=True):
        p.add_argument("--valid-size", type=int, default=1000)
        if test:
            p.add_argument("--test-size", type=int, default=1000)
        p.add_argument("--seed", type=int, default=1)

    parser = argparse.ArgumentParser(
        prog="python -m preprocess.prepare",
        description="Clean, subword-segment and binarise a corpus for fairseq.")
    sub = parser.add_subparsers(dest="corpus", required=True, metavar="corpus")
    p = sub.add_parser("multi30k", parents=[tr, located], help="Multi30k task 1 (de, en, fr)")
    p.add_argument("--src", default="de", choices=corpora.MULTI30K_LANGS)
    p.add_argument("--tgt", default="en", choices=corpora.MULTI30K_LANGS)
    p = sub.add_parser("anki", parents=[tr, located], help="Tatoeba/Anki fra-eng, seeded split")
    p.add_argument("--src", default="en", choices=corpora.ANKI_LANGS)
    p.add_argument("--tgt", default="fr", choices=corpora.ANKI_LANGS)
    seeded(p)
    p = sub.add_parser("parallel", parents=[tr], help="any line-aligned parallel files")
    for name in ("train", "valid", "test"):
        p.add_argument(f"--{name}-src", required=name == "train")
        p.add_argument(f"--{name}-tgt", required=name == "train")
    p.add_argument("--src-lang", required=True)
    p.add_argument("--tgt-lang", required=True)
    seeded(p, test=False)
    p = sub.add_parser("jfleg", parents=[common, located],
                       help="JFLEG dev/test, plain text + 4 refs")
    p.add_argument("--source", choices=corpora.JFLEG_INPUTS, default="original",
                   help="the input: the learner's sentence, JFLEG's spellchecked version, "
                        "or that with the learner's case (test's file is all lowercase)")
    p.add_argument("--spm-model", help="also write tok/ segmented with this sentencepiece model")
    p = sub.add_parser("qa", parents=[tr], help="SQuAD, CoQA, CMU QA or Twitter support "
                       "as src -> tgt pairs")
    p.add_argument("--format", required=True, choices=qa.FORMATS, dest="fmt")
    p.add_argument("--input", required=True, nargs="+", dest="inputs", metavar="PATH",
                   help="squad/coqa: train JSON [official dev JSON, which becomes test]; "
                        "cmu-qa: the folder holding S08/ S09/ S10/ (or Kaggle's "
                        "S08_question_answer_pairs.txt ...); twcs: twcs.csv")
    g = p.add_argument_group("question answering")
    g.add_argument("--sep", default=qa.SEP, help=f"token between question, history and "
                   f"context (default {qa.SEP})")
    g.add_argument("--context-window", type=int, default=0, metavar="N",
                   help="squad/coqa: keep only N context words centred on the answer (0 = all)")
    g.add_argument("--history", type=int, default=2, metavar="K",
                   help="coqa: previous turns (question and answer) before the story")
    g.add_argument("--keep-unanswerable", action="store_true",
                   help="squad/coqa: write unanswerable questions with --no-answer-token "
                        "(default: skip and count them)")
    g.add_argument("--no-answer-token", default=qa.NO_ANSWER)
    seeded(p)
    return parser


_LOCATION = ("raw_dir", "base_url", "cache_dir")


def run(args):
    """Dispatch parsed ``args`` to the matching ``prepare_*`` function."""
    a = vars(args).copy()
    corpus = a.pop("corpus")
    if corpus == "jfleg":
        return prepare_jfleg(**a)
    opts = {f.name: a[f.name] for f in dataclasses.fields(Options) if f.name in a}
    if corpus == "qa":
        questions = {f.name: a[f.name] for f in dataclasses.fields(qa.QAOptions)}
        return prepare_qa(a["fmt"], a["inputs"], a["out"], **questions, **opts)
    if corpus == "parallel":
        return prepare_parallel(a["train_src"], a["train_tgt"], a["src_lang"], a["tgt_lang"],
                                a["out"], a["valid_src"], a["valid_tgt"], a["test_src"],
                                a["test_tgt"], **opts)
    location = {k: a[k] for k in _LOCATION}
    func = prepare_multi30k if corpus == "multi30k" else prepare_anki
    return func(a["out"], a["src"], a["tgt"], **location, **opts)


def summary(manifest, out):
    """A few lines saying what was written, for the terminal."""
    if manifest["corpus"] == "jfleg":
        head = f"jfleg ({manifest['source']} source, {manifest['references']} references)"
    elif manifest["corpus"] == "qa":
        head = f"qa ({manifest['qa']['format']}) {manifest['src_lang']}->{manifest['tgt_lang']}"
    else:
        head = f"{manifest['corpus']} {manifest['src_lang']}->{manifest['tgt_lang']}"
    lines = [f"{head}: wrote {out}"]
    noun = qa.WHERE[manifest["qa"]["format"]] if manifest["corpus"] == "qa" else "lines"
    for name, c in manifest["counts"].items():
        s = SplitStats()
        s.read, s.kept, s.over_max_len_kept = c["read"], c["kept"], c["over_max_len_kept"]
        s.skipped.update(c["skipped"])
        s.examples = c["skipped_lines"]
        lines.append(f"  {name}: {s.describe(noun)}")
    for name, notes in manifest.get("qa", {}).get("notes", {}).items():
        if notes:
            lines.append(f"  {name} notes: " + ", ".join(f"{k} {v}" for k, v in notes.items()))
    if manifest.get("subword_models"):
        models = ", ".join(sorted(set(manifest["subword_models"].values())))
        if manifest["corpus"] == "jfleg":
            lines.append(f"  segmented with {models}")
        else:
            kind = "joint" if manifest["joint"] else "per-language"
            vocab = manifest["options"]["vocab_size"]
            lines.append(f"  {manifest['tokenizer']} {kind}, vocab {vocab}: {models}"
                         + (", source reversed" if manifest["reverse_source"] else ""))
    if manifest.get("data_bin"):
        sizes = ", ".join(f"dict.{k}.txt {v}" for k, v in manifest["dict_sizes"].items())
        lines.append(f"  fairseq data: {Path(out) / manifest['data_bin']} ({sizes})")
    lines.append(f"  manifest: {Path(out) / MANIFEST}")
    return "\n".join(lines)


def _main(argv):
    args = build_parser().parse_args(argv)
    progress.configure_from(args)
    manifest = run(args)
    print(summary(manifest, args.out))
    return 0


def main(argv=None):
    return run_main(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
