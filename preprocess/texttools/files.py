"""Reading a UTF-8 text file of lines (references, hypotheses, model input).

Problems are one :class:`~preprocess.texttools.errors.InputError` naming the file and
what it was. Corpus files, read as bytes line by line, are :mod:`preprocess.lines`.
"""
from pathlib import Path

from .errors import InputError


def read_text(path, what="file"):
    """Lines of a UTF-8 text file without their newline; a missing, unreadable or non-UTF-8
    file is an :class:`InputError` naming ``what`` it was (e.g. "reference file")."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} not found")
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f]
    except UnicodeDecodeError as e:
        raise InputError(f"{what} {path} is not valid UTF-8 ({e.reason} at byte {e.start})") \
            from None
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror}") from None
