"""Prepare a corpus for fairseq: ``python -m preprocess.prepare <corpus> [options]``.

Corpora::

    multi30k --src de --tgt en        Multi30k task 1 (de, en, fr): train / val / test_2016_flickr
    anki --src en --tgt fr            Tatoeba fra-eng; seeded leakage-free valid/test carving
    jfleg [--source spellchecked[-cased]]  JFLEG dev/test: plain normalised text, 4 references
    parallel --train-src F --train-tgt F --src-lang X --tgt-lang Y
             [--valid-src F --valid-tgt F] [--test-src F --test-tgt F]
    qa --format {squad,coqa,cmu-qa,twcs} --input PATH [DEV]
                                      question answering / dialogue -> src/tgt (see qa.py)

Translation pipeline (multi30k, anki, parallel, qa), all under ``--out OUT``:

1. read (gz/zip/plain) and check that both sides have the same number of lines;
2. decode each line strictly as UTF-8, NFKC + whitespace normalisation, skip pairs that are
   malformed / invalid UTF-8 / empty (counted, first line numbers reported);
3. train subword model(s) on train: ``OUT/spm/{lang|joint}.model`` or
   ``OUT/bpe/codes[.lang]``;
4. segment every split; drop *train* pairs longer than ``--max-len`` tokens on either
   side (valid/test are never dropped, only counted); reverse the source token order
   with ``--reverse-source`` (Sutskever et al. 2014: applied to subword tokens);
5. write ``OUT/raw/{split}.{lang}`` (cleaned, untokenised: BLEU references) and
   ``OUT/tok/{split}.{lang}`` (what the model sees), line-aligned with each other;
6. ``fairseq-preprocess`` into ``OUT/bin``;
7. ``OUT/prepare.json``: languages, tokenizer, subword model paths (relative to OUT),
   options and per-split counts -- everything a later step needs.

JFLEG writes ``OUT/raw/{dev,test}.src`` and ``.ref0``..``.ref3`` (plus ``OUT/tok/`` if
``--spm-model`` is given); no binarisation.

Every user-facing failure is an ``InputError``: ``error: <one line>`` on stderr, exit 2.
"""
import argparse
import dataclasses
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Optional

from fairseq_plugins.text.errors import InputError

from . import binarize as binarize_mod
from . import corpora, qa, subword
from .cli import run_main
from .lines import read_parallel, write_lines
from .recase import recase_rows
from .split import carve
from .text import SplitStats, clean_pairs

MANIFEST = "prepare.json"
FORMAT_VERSION = 1
#: Sub-folders this tool owns inside OUT (removed by --force, nothing else is).
OWNED = ("raw", "tok", "spm", "bpe", "bin", MANIFEST)
LANG_RE = re.compile(r"^[A-Za-z0-9_]+$")


@dataclasses.dataclass
class Options:
    """Options of the translation pipeline (CLI flags of the same name)."""
    tokenizer: str = "sentencepiece"
    vocab_size: int = 8000
    joint: bool = False
    character_coverage: float = 1.0
    joined_dictionary: bool = False
    reverse_source: bool = False
    max_len: int = 250          # 0 = no limit
    train_limit: Optional[int] = None
    lowercase: bool = False
    workers: int = 1
    force: bool = False
    valid_size: int = 1000      # carved corpora only (anki, parallel without valid)
    test_size: int = 1000       # anki only
    seed: int = 1

    def check(self):
        if self.tokenizer not in subword.KINDS:
            raise InputError(f"--tokenizer must be one of {', '.join(subword.KINDS)}")
        for name in ("vocab_size", "workers"):
            if getattr(self, name) < 1:
                raise InputError(f"--{name.replace('_', '-')} must be at least 1")
        for name in ("max_len", "valid_size", "test_size"):
            if getattr(self, name) < 0:
                raise InputError(f"--{name.replace('_', '-')} must not be negative")
        if self.train_limit is not None and self.train_limit < 1:
            raise InputError("--train-limit must be at least 1")
        if not 0 < self.character_coverage <= 1:
            raise InputError("--character-coverage must be in (0, 1]")
        return self


# --- output folder --------------------------------------------------------------------

def check_out(out, force):
    """Refuse to overwrite prepared data (``OUT/bin`` or ``OUT/prepare.json``) without --force."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} exists and is not a folder")
    existing = [name for name in ("bin", MANIFEST) if (out / name).exists()]
    if existing and not force:
        raise InputError(f"{out} already holds prepared data ({out / existing[0]} exists); "
                           "use --force to overwrite")
    return out


def clear_out(out):
    """Remove what an earlier run of this tool wrote into ``out`` (only those paths)."""
    for name in OWNED:
        path = Path(out) / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    Path(out).mkdir(parents=True, exist_ok=True)


def write_manifest(out, manifest):
    with open(Path(out) / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return manifest


# --- translation pipeline -------------------------------------------------------------

def _check_langs(src_lang, tgt_lang):
    for lang in (src_lang, tgt_lang):
        if not LANG_RE.match(lang or ""):
            raise InputError(f"language name {lang!r} must be letters, digits or _ "
                               "(it becomes a fairseq file suffix)")
    if src_lang == tgt_lang:
        raise InputError(f"source and target language are both {src_lang!r}")


def build(corpus, src_lang, tgt_lang, splits, stats, out, opts, inputs, extra=None):
    """Subword-train, segment, filter, write and binarise cleaned ``splits``.

    ``splits`` maps split name -> ``[(lineno, src_text, tgt_text), ...]`` (already
    cleaned); ``stats`` maps split name (and optionally ``"all"``) -> ``SplitStats``;
    ``extra`` is added to the manifest. Returns the manifest (also written to
    ``OUT/prepare.json``).
    """
    out = Path(out)
    if not splits["train"]:
        raise InputError("no training pairs left after cleaning "
                           f"(train: {stats['train'].describe()})")
    clear_out(out)
    train = splits["train"]
    models = subword.train(opts.tokenizer, {src_lang: [p[1] for p in train],
                                            tgt_lang: [p[2] for p in train]},
                           out, opts.vocab_size, opts.joint, opts.character_coverage, opts.workers)
    segmenters = {lang: subword.Segmenter(opts.tokenizer, path) for lang, path in models.items()}

    raw_files, tok_files = {}, {}
    for split, pairs in splits.items():
        src_tok = segmenters[src_lang].encode([p[1] for p in pairs])
        tgt_tok = segmenters[tgt_lang].encode([p[2] for p in pairs])
        keep = []
        for pair, s, t in zip(pairs, src_tok, tgt_tok):
            too_long = opts.max_len and (len(s) > opts.max_len or len(t) > opts.max_len)
            if too_long and split == "train":
                stats[split].skip("too_long", pair[0])
                continue
            if too_long:
                stats[split].over_max_len_kept += 1
            keep.append((pair, s[::-1] if opts.reverse_source else s, t))
        stats[split].kept = len(keep)
        raw_files[split], tok_files[split] = {}, {}
        for side, lang in ((1, src_lang), (2, tgt_lang)):
            raw_path, tok_path = out / "raw" / f"{split}.{lang}", out / "tok" / f"{split}.{lang}"
            write_lines(raw_path, (k[0][side] for k in keep))
            write_lines(tok_path, (" ".join(k[side]) for k in keep))
            raw_files[split][lang] = str(raw_path.relative_to(out))
            tok_files[split][lang] = str(tok_path.relative_to(out))
    if not stats["train"].kept:
        raise InputError(f"no training pairs shorter than --max-len {opts.max_len} "
                           f"(train: {stats['train'].describe()})")

    dict_sizes = binarize_mod.binarize(
        src_lang, tgt_lang, {split: out / "tok" / split for split in splits}, out / "bin",
        opts.joined_dictionary, opts.workers)

    options = dataclasses.asdict(opts)
    options.pop("force")
    return write_manifest(out, {
        "format_version": FORMAT_VERSION,
        "corpus": corpus,
        "src_lang": src_lang,
        "tgt_lang": tgt_lang,
        "splits": list(splits),
        "tokenizer": opts.tokenizer,
        "joint": opts.joint,
        "subword_models": {lang: str(Path(p).relative_to(out)) for lang, p in models.items()},
        "post_process": subword.POST_PROCESS[opts.tokenizer],
        "reverse_source": opts.reverse_source,
        "lowercase": opts.lowercase,
        "joined_dictionary": opts.joined_dictionary,
        "max_len": opts.max_len,
        "raw": raw_files,
        "tok": tok_files,
        "data_bin": "bin",
        "dict_sizes": dict_sizes,
        "inputs": inputs,
        "options": options,
        "counts": {name: s.as_dict() for name, s in stats.items()},
        **(extra or {}),
    })


def _clean_splits(raw_splits, opts):
    stats = {split: SplitStats() for split in raw_splits}
    cleaned = {split: clean_pairs(pairs, stats[split], opts.lowercase)
               for split, pairs in raw_splits.items()}
    return cleaned, stats


def _carve_from(pool, stats_all, sizes, opts, key=None):
    """Carve evaluation splits out of cleaned ``pool``; returns splits and their stats.

    Pairs sharing a sentence stay in one split; with ``key``, pairs with the same
    ``key(pair)`` stay together instead (and only those).
    """
    if key:
        keyed = carve([(i, key(p)) for i, p in enumerate(pool)], sizes, opts.seed)
        parts = {name: [pool[i] for i, _ in part] for name, part in keyed.items()}
    else:
        parts = carve(pool, sizes, opts.seed)
    if opts.train_limit:
        parts["train"] = parts["train"][:opts.train_limit]
    splits = {"train": parts["train"], **{n: parts[n] for n in ("valid", "test") if n in parts}}
    stats = {"all": stats_all}
    for name, pairs in splits.items():
        stats[name] = SplitStats()
        stats[name].read = stats[name].kept = len(pairs)
    return splits, stats


def _options(opts):
    return Options(**opts).check()


def prepare_parallel(train_src, train_tgt, src_lang, tgt_lang, out, valid_src=None,
                     valid_tgt=None, test_src=None, test_tgt=None, **opts):
    """Prepare any pair of line-aligned plain/gz files; returns the prepare.json dict.

    Without ``valid_src``/``valid_tgt`` a valid set of ``valid_size`` pairs is carved from
    train (seeded, no sentence shared with train); without test files there is no test split.
    ``opts`` are the fields of ``Options``.
    """
    opts = _options(opts)
    _check_langs(src_lang, tgt_lang)
    for name, a, b in (("valid", valid_src, valid_tgt), ("test", test_src, test_tgt)):
        if bool(a) != bool(b):
            raise InputError(f"give both --{name}-src and --{name}-tgt, or neither")
    out = check_out(out, opts.force)
    raw = {"train": read_parallel(train_src, train_tgt)}
    inputs = {"train": [str(train_src), str(train_tgt)]}
    if valid_src:
        raw["valid"] = read_parallel(valid_src, valid_tgt)
        inputs["valid"] = [str(valid_src), str(valid_tgt)]
    if test_src:
        raw["test"] = read_parallel(test_src, test_tgt)
        inputs["test"] = [str(test_src), str(test_tgt)]
    if valid_src:
        if opts.train_limit:
            raw["train"] = raw["train"][:opts.train_limit]
        splits, stats = _clean_splits(raw, opts)
    else:
        if not opts.valid_size:
            raise InputError("no valid files given and --valid-size is 0")
        test_raw = {"test": raw.pop("test")} if "test" in raw else {}
        stats_all = SplitStats()
        pool = clean_pairs(raw["train"], stats_all, opts.lowercase)
        splits, stats = _carve_from(pool, stats_all, {"valid": opts.valid_size}, opts)
        inputs["valid"] = f"carved from train (seed {opts.seed})"
        if test_raw:
            splits["test"] = clean_pairs(test_raw["test"], stats.setdefault("test", SplitStats()),
                                         opts.lowercase)
    return build("parallel", src_lang, tgt_lang, splits, stats, out, opts, inputs)


def prepare_multi30k(out, src="de", tgt="en", raw_dir=None, base_url=None, cache_dir=None,
                     **opts):
    """Multi30k task 1: train / val -> valid / test_2016_flickr -> test."""
    opts = _options(opts)
    corpora.check_pair(src, tgt, corpora.MULTI30K_LANGS, "multi30k")
    out = check_out(out, opts.force)
    folder = corpora.data_folder("multi30k", raw_dir, base_url, cache_dir,
                                 corpora.multi30k_remote(src, tgt))
    raw, inputs = corpora.load_multi30k(src, tgt, folder)
    if opts.train_limit:
        raw["train"] = raw["train"][:opts.train_limit]
    splits, stats = _clean_splits(raw, opts)
    return build("multi30k", src, tgt, splits, stats, out, opts, inputs)


def prepare_anki(out, src="en", tgt="fr", raw_dir=None, base_url=None, cache_dir=None, **opts):
    """Tatoeba/Anki fra-eng in either direction, with carved test then valid sets."""
    opts = _options(opts)
    corpora.check_pair(src, tgt, corpora.ANKI_LANGS, "anki")
    out = check_out(out, opts.force)
    folder = corpora.data_folder("anki", raw_dir, base_url, cache_dir, corpora.anki_remote)
    pairs, path = corpora.load_anki(src, tgt, folder)
    stats_all = SplitStats()
    pool = clean_pairs(pairs, stats_all, opts.lowercase)
    splits, stats = _carve_from(pool, stats_all,
                                {"test": opts.test_size, "valid": opts.valid_size}, opts)
    inputs = {"all": path, "split": f"seeded carve (seed {opts.seed}), test then valid"}
    return build("anki", src, tgt, splits, stats, out, opts, inputs)


# --- question answering -----------------------------------------------------------------

#: what each QA format keeps whole when valid/test are carved
QA_GROUPS = {"squad": "article", "coqa": "story", "cmu-qa": "article", "twcs": "conversation"}


def prepare_qa(fmt, inputs, out, sep=qa.SEP, context_window=0, keep_unanswerable=False,
               no_answer_token=qa.NO_ANSWER, history=2, **opts):
    """A QA corpus (``qa.FORMATS``) as ``src -> tgt``; returns the prepare.json dict.

    ``inputs`` is the corpus as distributed: for squad/coqa the train file and optionally
    the official dev file (which becomes test: the official test sets are hidden); for
    cmu-qa the folder of S08/ S09/ S10/, for twcs the twcs.csv. valid (and test, without
    a dev file) are carved from the first input, seeded, keeping each ``QA_GROUPS`` unit
    in one split.
    """
    opts = _options(opts)
    qopts = qa.QAOptions(sep, context_window, keep_unanswerable, no_answer_token,
                         history).check()
    if fmt not in qa.FORMATS:
        raise InputError(f"qa: --format must be one of {', '.join(qa.FORMATS)}")
    most = 2 if fmt in ("squad", "coqa") else 1
    if not 1 <= len(inputs) <= most:
        takes = "a train file and optionally a dev file" if most == 2 else "one --input"
        raise InputError(f"qa --format {fmt} takes {takes}, got {len(inputs)} inputs")
    sizes = {"valid": opts.valid_size}
    if len(inputs) == 1:
        sizes = {"test": opts.test_size, **sizes}
    for name, n in sizes.items():
        if n < 1:
            raise InputError(f"qa: --{name}-size must be at least 1")
    out = check_out(out, opts.force)
    pool, stats_all, notes_all = qa.read(fmt, inputs[0], qopts, opts.lowercase)
    notes = {"all": notes_all}
    dev = qa.read(fmt, inputs[1], qopts, opts.lowercase) if len(inputs) == 2 else None
    # by the group alone: sharing "yes" or "unknown" with another story is no leak
    splits, stats = _carve_from(pool, stats_all, sizes, opts, key=lambda p: p[3])
    for name, n in sizes.items():
        if not splits[name]:
            raise InputError(f"qa: no whole {QA_GROUPS[fmt]} fits in --{name}-size {n} "
                             f"({len(pool)} usable pairs); raise it")
    if dev:
        splits["test"], stats["test"], notes["test"] = dev
    unit = QA_GROUPS[fmt]
    described = {"all": str(inputs[0]), "test": str(inputs[1]) if dev else "carved",
                 "split": f"seeded carve (seed {opts.seed}) by {unit}, "
                          + ("valid" if dev else "test then valid")}
    extra = {"qa": {"format": fmt, **dataclasses.asdict(qopts),
                    "notes": {k: dict(sorted(v.items())) for k, v in notes.items()}}}
    return build("qa", "src", "tgt", splits, stats, out, opts, described, extra)


# --- JFLEG ----------------------------------------------------------------------------

def prepare_jfleg(out, source="original", raw_dir=None, base_url=None, cache_dir=None,
                  spm_model=None, reverse_source=False, lowercase=False, force=False):
    """JFLEG dev/test as normalised plain text: ``raw/{split}.src`` and ``.ref0``..``.ref3``.

    Lines stay aligned across the 5 files (a line is skipped in all of them or none).
    With ``spm_model`` the same lines are also segmented into ``tok/`` (source reversed
    if ``reverse_source``), ready for ``fairseq-interactive``.
    """
    if source not in corpora.JFLEG_INPUTS:
        raise InputError(f"jfleg: source must be one of {', '.join(corpora.JFLEG_INPUTS)}")
    out = check_out(out, force)
    segmenter = subword.Segmenter("sentencepiece", spm_model) if spm_model else None
    folder = corpora.data_folder("jfleg", raw_dir, base_url, cache_dir, corpora.jfleg_remote)
    raw, inputs = corpora.load_jfleg(folder, source)  # (lineno, src, refs, original)
    clear_out(out)
    names = ["src", *corpora.JFLEG_REFS]
    stats, files = {}, {"raw": {}, "tok": {}}
    for split, tuples in raw.items():
        stats[split] = SplitStats()
        kept = clean_pairs(tuples, stats[split], lowercase)
        if source == "spellchecked-cased":
            kept = recase_rows(kept)
        files["raw"][split], files["tok"][split] = {}, {}
        for i, name in enumerate(names, start=1):
            lines = [t[i] for t in kept]
            path = out / "raw" / f"{split}.{name}"
            write_lines(path, lines)
            files["raw"][split][name] = str(path.relative_to(out))
            if segmenter:
                tokens = segmenter.encode(lines)
                if reverse_source and name == "src":
                    tokens = [t[::-1] for t in tokens]
                path = out / "tok" / f"{split}.{name}"
                write_lines(path, (" ".join(t) for t in tokens))
                files["tok"][split][name] = str(path.relative_to(out))
    return write_manifest(out, {
        "format_version": FORMAT_VERSION,
        "corpus": "jfleg",
        "source": source,
        "splits": list(raw),
        "references": len(corpora.JFLEG_REFS),
        "tokenizer": "sentencepiece" if segmenter else None,
        "subword_models": {"src": str(Path(spm_model).resolve()),
                           "tgt": str(Path(spm_model).resolve())} if segmenter else {},
        "post_process": "sentencepiece" if segmenter else None,
        "reverse_source": reverse_source,
        "lowercase": lowercase,
        "raw": files["raw"],
        "tok": files["tok"] if segmenter else {},
        "data_bin": None,
        "inputs": inputs,
        "counts": {name: s.as_dict() for name, s in stats.items()},
    })


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
                        "cmu-qa: the folder holding S08/ S09/ S10/; twcs: twcs.csv")
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
    for name, c in manifest["counts"].items():
        s = SplitStats()
        s.read, s.kept, s.over_max_len_kept = c["read"], c["kept"], c["over_max_len_kept"]
        s.skipped.update(c["skipped"])
        s.examples = c["skipped_lines"]
        lines.append(f"  {name}: {s.describe()}")
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
    manifest = run(args)
    print(summary(manifest, args.out))
    return 0


def main(argv=None):
    return run_main(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
