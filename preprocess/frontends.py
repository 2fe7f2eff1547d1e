"""The corpus front ends of ``python -m preprocess.prepare``, one function per corpus.

Each reads its corpus (:mod:`preprocess.corpora`, :mod:`preprocess.qa`), checks that both
sides have the same number of lines, decodes and normalises every line (skipping pairs
that are malformed / invalid UTF-8 / empty: counted, first line numbers reported), makes
the splits (given, or carved seeded and leakage-free) and hands them to
:func:`preprocess.pipeline.build`. JFLEG is not binarised: :func:`prepare_jfleg` writes its
plain text (and ``tok/`` with a sentencepiece model) and its manifest itself.

Each returns the ``prepare.json`` dict; ``**opts`` are the fields of
:class:`preprocess.pipeline.Options`.
"""
import dataclasses
from pathlib import Path

from preprocess.texttools.errors import InputError

from . import corpora, qa, subword
from .lines import read_parallel, write_lines
from .pipeline import (FORMAT_VERSION, build, carve_from, check_langs, check_out,
                       checked_options, clean_splits, clear_out, write_manifest)
from .recase import recase_rows
from .text import SplitStats, clean_pairs


def prepare_parallel(train_src, train_tgt, src_lang, tgt_lang, out, valid_src=None,
                     valid_tgt=None, test_src=None, test_tgt=None, **opts):
    """Prepare any pair of line-aligned plain/gz files; returns the prepare.json dict.

    Without ``valid_src``/``valid_tgt`` a valid set of ``valid_size`` pairs is carved from
    train (seeded, no sentence shared with train); without test files there is no test split.
    ``opts`` are the fields of ``Options``.
    """
    opts = checked_options(opts)
    check_langs(src_lang, tgt_lang)
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
        splits, stats = clean_splits(raw, opts)
    else:
        if not opts.valid_size:
            raise InputError("no valid files given and --valid-size is 0")
        test_raw = {"test": raw.pop("test")} if "test" in raw else {}
        stats_all = SplitStats()
        pool = clean_pairs(raw["train"], stats_all, opts.lowercase)
        splits, stats = carve_from(pool, stats_all, {"valid": opts.valid_size}, opts)
        inputs["valid"] = f"carved from train (seed {opts.seed})"
        if test_raw:
            splits["test"] = clean_pairs(test_raw["test"], stats.setdefault("test", SplitStats()),
                                         opts.lowercase)
    return build("parallel", src_lang, tgt_lang, splits, stats, out, opts, inputs)


def prepare_multi30k(out, src="de", tgt="en", raw_dir=None, base_url=None, cache_dir=None,
                     **opts):
    """Multi30k task 1: train / val -> valid / test_2016_flickr -> test."""
    opts = checked_options(opts)
    corpora.check_pair(src, tgt, corpora.MULTI30K_LANGS, "multi30k")
    out = check_out(out, opts.force)
    folder = corpora.data_folder("multi30k", raw_dir, base_url, cache_dir,
                                 corpora.multi30k_remote(src, tgt))
    raw, inputs = corpora.load_multi30k(src, tgt, folder)
    if opts.train_limit:
        raw["train"] = raw["train"][:opts.train_limit]
    splits, stats = clean_splits(raw, opts)
    return build("multi30k", src, tgt, splits, stats, out, opts, inputs)


def prepare_anki(out, src="en", tgt="fr", raw_dir=None, base_url=None, cache_dir=None, **opts):
    """Tatoeba/Anki fra-eng in either direction, with carved test then valid sets."""
    opts = checked_options(opts)
    corpora.check_pair(src, tgt, corpora.ANKI_LANGS, "anki")
    out = check_out(out, opts.force)
    folder = corpora.data_folder("anki", raw_dir, base_url, cache_dir, corpora.anki_remote)
    pairs, path = corpora.load_anki(src, tgt, folder)
    stats_all = SplitStats()
    pool = clean_pairs(pairs, stats_all, opts.lowercase)
    splits, stats = carve_from(pool, stats_all,
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
    cmu-qa the folder of S08/ S09/ S10/ (or Kaggle's flat one), for twcs the twcs.csv.
    valid (and test, without a dev file) are carved from the first input, seeded, keeping
    each ``QA_GROUPS`` unit in one split.
    """
    opts = checked_options(opts)
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
    splits, stats = carve_from(pool, stats_all, sizes, opts, key=lambda p: p[3])
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
