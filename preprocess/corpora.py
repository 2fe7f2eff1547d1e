"""The known corpora: where their files are, which files form which split.

Where the data comes from, first match wins:

1. ``--raw-dir DIR`` -- a folder holding the corpus files;
2. ``$SEQ2SEQ_DATA_DIR/<folder>`` -- the shared data layout (``multi30k``,
   ``anki-fra-eng``, ``jfleg``);
3. download into the cache (see ``download``), from the public addresses or from a mirror
   given by ``--base-url`` / ``$SEQ2SEQ_DATA_URL``.

A folder that is missing or empty, or a missing file, is an ``InputError`` naming it.
Loaders return undecoded byte lines with 1-based line numbers; cleaning is done later.
"""
import os
from pathlib import Path

from preprocess.texttools.errors import InputError

from . import download
from .lines import check_data_folder, find_file, read_parallel, read_tsv

#: Shared-data folder name of each corpus (``$SEQ2SEQ_DATA_DIR/<folder>``, mirror layout).
FOLDERS = {"multi30k": "multi30k", "anki": "anki-fra-eng", "jfleg": "jfleg"}

MULTI30K_LANGS = ("de", "en", "fr")
MULTI30K_STEMS = {"train": "train", "valid": "val", "test": "test_2016_flickr"}
MULTI30K_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/{name}"

ANKI_LANGS = ("en", "fr")
ANKI_COLUMNS = {"en": 0, "fr": 1}
ANKI_NAMES = ["fra-eng.tsv.gz", "fra-eng.tsv", "fra.txt", "fra.txt.gz", "fra.tsv",
              "fra.tsv.gz", "fra-eng.zip"]
ANKI_URL = "https://www.manythings.org/anki/fra-eng.zip"

JFLEG_SPLITS = ("dev", "test")
JFLEG_SOURCES = {"original": "src", "spellchecked": "spellchecked.src"}
# what a model may read: a file above, or the spellchecked one given back the learner's
# case (test's is all lowercase; see preprocess/recase.py), made after cleaning
JFLEG_INPUTS = (*JFLEG_SOURCES, "spellchecked-cased")
JFLEG_REFS = tuple(f"ref{i}" for i in range(4))
JFLEG_URL = "https://raw.githubusercontent.com/keisks/jfleg/master/{split}/{name}"


def data_folder(corpus, raw_dir=None, base_url=None, cache_dir=None, remote_files=()):
    """Resolve the folder holding ``corpus``; download ``remote_files(base)`` if needed.

    ``remote_files`` is a function of the mirror base URL (``None`` = upstream) returning
    ``[(url, local_name), ...]``.
    """
    if raw_dir:
        return check_data_folder(raw_dir)
    env = os.environ.get("SEQ2SEQ_DATA_DIR")
    if env:
        return check_data_folder(Path(env) / FOLDERS[corpus],
                                 "data folder (from $SEQ2SEQ_DATA_DIR)")
    base = download.base_url(base_url)
    folder = download.cache_root(cache_dir) / corpus
    return download.fetch_all(remote_files(base), folder)


def check_pair(src, tgt, allowed, corpus):
    """``InputError`` unless ``src`` and ``tgt`` are two different languages of ``allowed``."""
    for lang in (src, tgt):
        if lang not in allowed:
            raise InputError(f"{corpus}: language {lang!r} not available "
                               f"(choose from {', '.join(allowed)})")
    if src == tgt:
        raise InputError(f"{corpus}: source and target language are both {src!r}")


# --- Multi30k -------------------------------------------------------------------------

def multi30k_remote(src, tgt):
    def files(base):
        names = [f"{stem}.{lang}.gz" for stem in MULTI30K_STEMS.values() for lang in (src, tgt)]
        if base:
            return [(f"{base}/{FOLDERS['multi30k']}/{n}", n) for n in names]
        return [(MULTI30K_URL.format(name=n), n) for n in names]
    return files


def load_multi30k(src, tgt, folder):
    """``{"train"|"valid"|"test": [(lineno, src_bytes, tgt_bytes), ...]}`` and file names."""
    check_pair(src, tgt, MULTI30K_LANGS, "multi30k")
    splits, files = {}, {}
    for split, stem in MULTI30K_STEMS.items():
        paths = [find_file(folder, [f"{stem}.{lang}.gz", f"{stem}.{lang}"]) for lang in (src, tgt)]
        splits[split] = read_parallel(*paths)
        files[split] = [str(p) for p in paths]
    return splits, files


# --- Anki / Tatoeba fra-eng -----------------------------------------------------------

def anki_remote(base):
    if base:
        return [(f"{base}/{FOLDERS['anki']}/{ANKI_NAMES[0]}", ANKI_NAMES[0])]
    return [(ANKI_URL, "fra-eng.zip")]


def load_anki(src, tgt, folder):
    """All ``(lineno, src_bytes, tgt_bytes)`` pairs of the one Anki file, and its path."""
    check_pair(src, tgt, ANKI_LANGS, "anki")
    path = find_file(folder, ANKI_NAMES)
    return read_tsv(path, [ANKI_COLUMNS[src], ANKI_COLUMNS[tgt]]), str(path)


# --- JFLEG ----------------------------------------------------------------------------

def jfleg_remote(base):
    names = [(split, f"{split}.{kind}") for split in JFLEG_SPLITS
             for kind in (*JFLEG_SOURCES.values(), *JFLEG_REFS)]
    if base:
        return [(f"{base}/{FOLDERS['jfleg']}/{n}", n) for _, n in names]
    return [(JFLEG_URL.format(split=s, name=n), n) for s, n in names]


def load_jfleg(folder, source="original"):
    """``{"dev"|"test": [(lineno, input, ref0, ..., ref3, original), ...]}`` (bytes), files.

    ``input`` is the model's (``source`` one of ``JFLEG_INPUTS``; ``spellchecked-cased``
    reads the spellchecked file: recase it after cleaning with
    :func:`preprocess.recase.recase_rows`), ``original`` the learner's sentence, which
    recasing reads and GLEU penalises. One tuple a line, so cleaning keeps all aligned.
    """
    if source not in JFLEG_INPUTS:
        raise InputError(f"jfleg: --source must be one of {', '.join(JFLEG_INPUTS)}")
    given = JFLEG_SOURCES["spellchecked" if source == "spellchecked-cased" else source]
    splits, files = {}, {}
    for split in JFLEG_SPLITS:
        names = [f"{split}.{given}", *(f"{split}.{r}" for r in JFLEG_REFS), f"{split}.src"]
        paths = [find_file(folder, [n, n + ".gz"]) for n in names]
        splits[split] = read_parallel(*paths)   # one line count for all six files
        files[split] = [str(p) for p in paths]
    return splits, files
