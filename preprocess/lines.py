"""Reading and writing files of lines: the one module every reader and writer here uses.

Corpus files are read as bytes (:func:`read_lines`; plain text files such as
references and hypotheses as UTF-8 with :func:`preprocess.texttools.files.read_text`);
:func:`write_lines` writes UTF-8 lines with ``\n`` endings. Problems are
:class:`~preprocess.texttools.errors.InputError` naming the file.

Corpus files are read as bytes, not text: decoding happens per line in ``text.decode_line`` so
that one corrupt line is skipped and reported instead of aborting the whole file. The
compression format is detected from the content (gzip magic bytes, zip archive), not the
file name, so ``train.de`` that is secretly gzipped still works.

Corpus lines are split on ``\\n`` only (never on the other separators ``str.splitlines``
knows, such as U+2028 or form feed, which would silently shift one side of a parallel
corpus).
"""
import gzip
import zipfile
import zlib
from pathlib import Path

from preprocess.texttools.errors import InputError


def _read_bytes(path):
    path = Path(path)
    if not path.is_file():
        raise InputError(f"missing corpus file {path}")
    try:
        with open(path, "rb") as f:
            head = f.read(2)
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                return f.read()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                texts = [n for n in z.namelist() if n.endswith((".txt", ".tsv"))
                         and not n.startswith("_")]
                if len(texts) != 1:
                    raise InputError(f"{path}: expected one .txt/.tsv file in the archive, "
                                       f"found {len(texts)}")
                return z.read(texts[0])
        return path.read_bytes()
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as e:
        raise InputError(f"cannot read {path}: {e}") from None


def read_lines(path):
    """All lines of ``path`` (plain, gzip or single-member zip) as ``bytes``, without
    line terminators. A final newline does not create an extra empty line."""
    data = _read_bytes(path)
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def read_parallel(*paths):
    """Read aligned files; return ``(lineno, line_a, line_b, ...)`` tuples (1-based).

    Raises ``InputError`` naming both files when the line counts differ: a parallel
    corpus whose sides disagree is misaligned somewhere, and truncating to the shorter
    side would silently pair wrong sentences.
    """
    columns = [read_lines(p) for p in paths]
    first = columns[0]
    for path, column in zip(paths[1:], columns[1:]):
        if len(column) != len(first):
            raise InputError(f"{paths[0]} has {len(first)} lines but {path} has {len(column)}")
    return [(i + 1, *sides) for i, sides in enumerate(zip(*columns))]


def read_tsv(path, columns):
    """Read a tab-separated file; return ``(lineno, field_i, field_j, ...)`` for the
    requested 0-based ``columns``. Extra columns (Anki's attribution) are ignored; a line
    with too few fields gets ``None`` sides, which cleaning counts as ``malformed``.
    (A tab byte never occurs inside a multi-byte UTF-8 character, so splitting bytes is safe.)
    """
    rows = []
    for i, line in enumerate(read_lines(path)):
        fields = line.rstrip(b"\r").split(b"\t")
        if len(fields) <= max(columns):
            rows.append((i + 1, *([None] * len(columns))))
        else:
            rows.append((i + 1, *(fields[c] for c in columns)))
    return rows


def find_file(folder, names):
    """First of ``names`` that exists in ``folder``; ``InputError`` naming them if none."""
    folder = Path(folder)
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise InputError(f"missing corpus file {folder / names[0]}"
                       + (f" (also tried {', '.join(names[1:])})" if len(names) > 1 else ""))


def check_data_folder(folder, what="data folder"):
    """``InputError`` if ``folder`` does not exist, is not a folder, or is empty."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"{what} {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"{what} {folder} is not a folder")
    if not any(folder.iterdir()):
        raise InputError(f"{what} {folder} is empty")
    return folder


def write_lines(path, lines) -> int:
    """Write ``lines`` (str, without newline) to ``path`` as UTF-8, one a line, ``\\n``
    endings, creating the folder; return how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
            n += 1
    return n
