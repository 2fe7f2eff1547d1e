"""Fetching corpus files into a local cache.

Used only when neither ``--raw-dir`` nor ``$SEQ2SEQ_DATA_DIR`` says where the data is.
Files go to ``~/.cache/fairseq_plugins/<corpus>`` (``--cache-dir`` or
``$SEQ2SEQ_CACHE_DIR`` override the root) and are downloaded once: each file is written
to a ``.part`` name and renamed when complete, so an interrupted download is retried
rather than used.

By default the public upstream addresses are used. A *mirror* base URL
(``--base-url`` or ``$SEQ2SEQ_DATA_URL``) replaces them; it must be laid out like the
shared data folder, ``<base>/<corpus folder>/<file>`` (e.g. ``<base>/multi30k/train.de.gz``),
so ``file:///path/to/shared/data`` works offline and lets tests exercise this code.
"""
import os
import shutil
from pathlib import Path

from preprocess.texttools.errors import InputError

USER_AGENT = "fairseq-seq2seq-plugins-preprocess/0.1 (+python urllib)"


def cache_root(cache_dir=None):
    """Root of the download cache: the argument, ``$SEQ2SEQ_CACHE_DIR`` or
    ``~/.cache/fairseq_plugins``."""
    root = cache_dir or os.environ.get("SEQ2SEQ_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "fairseq_plugins"


def base_url(option=None):
    """Mirror base URL from the option or ``$SEQ2SEQ_DATA_URL``; ``None`` means upstream."""
    url = option or os.environ.get("SEQ2SEQ_DATA_URL")
    return url.rstrip("/") if url else None


def fetch(url, dest, timeout=120):
    """Download ``url`` (http(s) or file://) to ``dest`` unless it is already there."""
    import urllib.error   # here: every command imports this module, few download
    import urllib.request

    dest = Path(dest)
    if dest.is_file() and dest.stat().st_size > 0:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as f:
            shutil.copyfileobj(response, f)
    except (urllib.error.URLError, OSError, ValueError) as e:
        part.unlink(missing_ok=True)
        reason = getattr(e, "reason", None) or e
        raise InputError(f"could not download {url}: {reason} (offline? point --raw-dir or "
                           "$SEQ2SEQ_DATA_DIR at a copy of the data)") from None
    if part.stat().st_size == 0:
        part.unlink()
        raise InputError(f"downloaded file from {url} is empty")
    part.replace(dest)
    return dest


def fetch_all(files, folder):
    """Fetch ``[(url, local_name), ...]`` into ``folder``; return the folder."""
    for url, name in files:
        fetch(url, Path(folder) / name)
    return Path(folder)
