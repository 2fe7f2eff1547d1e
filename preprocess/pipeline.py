"""The translation pipeline every corpus front end of ``python -m preprocess.prepare``
hands its cleaned splits to, and the output folder it owns (``OUT``):

1. train subword model(s) on train: ``OUT/spm/{lang|joint}.model`` or
   ``OUT/bpe/codes[.lang]``;
2. segment every split; drop *train* pairs longer than ``--max-len`` tokens on either
   side (valid/test are never dropped, only counted); reverse the source token order
   with ``--reverse-source`` (Sutskever et al. 2014: applied to subword tokens);
3. write ``OUT/raw/{split}.{lang}`` (cleaned, untokenised: BLEU references) and
   ``OUT/tok/{split}.{lang}`` (what the model sees), line-aligned with each other;
4. ``fairseq-preprocess`` into ``OUT/bin``;
5. ``OUT/prepare.json``: languages, tokenizer, subword model paths (relative to OUT),
   options and per-split counts -- everything a later step needs.

Also the helpers the front ends share: cleaning read splits, carving valid/test from one
pool, and :class:`Options`, the pipeline's options (CLI flags of the same name).
"""
import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Optional

from preprocess.layout import PREPARE_MANIFEST
from preprocess.texttools.errors import InputError

from . import binarize as binarize_mod
from . import subword
from .lines import write_lines
from .progress import stage
from .split import carve
from .text import SplitStats, clean_pairs

MANIFEST = PREPARE_MANIFEST   # the old name
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

def check_langs(src_lang, tgt_lang):
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
        src_tok = segmenters[src_lang].encode([p[1] for p in pairs],
                                              f"segmenting {split}.{src_lang}")
        tgt_tok = segmenters[tgt_lang].encode([p[2] for p in pairs],
                                              f"segmenting {split}.{tgt_lang}")
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

    with stage("binarising with fairseq-preprocess", sum(stats[s].kept for s in splits)):
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


def clean_splits(raw_splits, opts):
    stats = {split: SplitStats() for split in raw_splits}
    cleaned = {split: clean_pairs(pairs, stats[split], opts.lowercase, f"cleaning {split}")
               for split, pairs in raw_splits.items()}
    return cleaned, stats


def carve_from(pool, stats_all, sizes, opts, key=None):
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


def checked_options(opts):
    """``Options`` from a dict of its fields, checked."""
    return Options(**opts).check()
