"""Customer Support on Twitter (``twcs.csv``) as ``(where, source, target, group)`` records:
an inbound customer tweet -> the company's first reply (:mod:`preprocess.qa` has the
formats, the counts and the notes)."""
import csv
import itertools
import re
import sys
from datetime import datetime
from pathlib import Path

from preprocess.texttools.errors import InputError

from .qa_common import URL, USER, unescape_all


# --- Customer Support on Twitter ---------------------------------------------------------
# twcs.csv: tweet_id, author_id, inbound (True/False), created_at ("Tue Oct 31 22:10:47
# +0000 2017"), text (may hold quoted newlines and HTML escapes: &amp; &lt; &gt;),
# response_tweet_id ("1,2"), in_response_to_tweet_id (empty for the first tweet of a
# conversation). Copies re-saved by pandas add an index column and write ids as 3.0; copies
# saved by Excel start with a BOM, end lines with CRLF and write inbound as TRUE/FALSE.

TWCS_COLUMNS = ("tweet_id", "author_id", "inbound", "created_at", "text",
                "response_tweet_id", "in_response_to_tweet_id")
_HANDLE = re.compile(r"(?<![\w@])@\w+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"


def tweet_id(value):
    """A tweet id as text; ``3.0`` (ids re-saved as floats, e.g. by pandas) is ``3``."""
    value = (value or "").strip()
    return value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value


def anonymise(text):
    """Replace user handles and URLs by ``<user>`` and ``<url>``."""
    return _HANDLE.sub(USER, _URL.sub(URL, text))


def _time(created_at):
    """Seconds since the epoch, or infinity when the date cannot be read (sorted last)."""
    try:
        return datetime.strptime(created_at, _TIME_FORMAT).timestamp()
    except (TypeError, ValueError):
        return float("inf")


_BARE_CR = re.compile(r"\r(?!\n)")


def physical_lines(f):
    r"""The lines of a text file opened with ``newline="\n"``, each bare carriage return made
    a space: csv would end the record there, even inside a tweet's unquoted text, splitting
    one tweet into two garbage rows. Line ends stay ``\n`` or ``\r\n``, so the csv line
    count is the file's physical line number, and whitespace in a text is one space anyway."""
    for line in f:
        yield _BARE_CR.sub(" ", line)


def twcs_path(path):
    """twcs.csv, or the one in a folder; a missing file is an error naming it."""
    path = Path(path)
    if path.is_dir():
        path = path / "twcs.csv"
    if not path.is_file():
        raise InputError(f"missing corpus file {path}")
    return path


def twcs_rows(path):
    """``(line, row dict)`` of a twcs.csv, checking the header; quoted newlines work, a
    BOM is dropped, and ``line`` is the row's first physical line in the file."""
    csv.field_size_limit(min(sys.maxsize, 2 ** 31 - 1))
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="\n") as f:
        header = f.readline()
        if _BARE_CR.search(header):    # else the whole file would be one garbled header
            raise InputError(f"{path}: lines end in bare carriage returns (an old Mac file); "
                             "convert them to \\n")
        reader = csv.DictReader(physical_lines(itertools.chain([header], f)))
        missing = [c for c in TWCS_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InputError(f"{path}: no column {missing[0]} in the header "
                             f"(a twcs.csv has {', '.join(TWCS_COLUMNS)})")
        start = reader.line_num + 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1


def inbound(value):
    """True/False of the ``inbound`` column in any case (Excel writes TRUE), else None."""
    return {"true": True, "false": False}.get((value or "").strip().lower())


def twcs_problem(row):
    """Why a twcs row cannot be used (the field at fault), or None."""
    columns = len(row) - (None in row)
    if None in row:           # csv's key for fields beyond the header: an unquoted comma
        return f"{columns + len(row[None])} fields, the header has {columns}"
    if any(v is None for v in row.values()):
        return f"{sum(v is not None for v in row.values())} fields, the header has {columns}"
    if not tweet_id(row["tweet_id"]):
        return "tweet_id is empty"
    if inbound(row["inbound"]) is None:
        return f"inbound is {row['inbound']!r} (expected True or False)"
    return None


class _Conversations:
    """Union-find over reply links: the conversation each tweet belongs to."""

    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a, b):
        self.parent[self.find(a)] = self.find(b)


def check_malformed(path, rows, bad, first):
    """Most rows malformed means a file of another shape, not a few bad rows: say why
    instead of counting them all and failing later with "only 0 usable pairs"."""
    if bad and bad * 2 > rows:
        line, why = first
        raise InputError(f"{path}: {bad} of {rows} rows are malformed; the first, line {line}: "
                         f"{why}")


def read_twcs(path, stats, notes):
    """twcs.csv -> ``(line, customer tweet, first company reply, conversation)`` tuples."""
    path = twcs_path(path)
    tweets, first_reply, talks = {}, {}, _Conversations()
    rows, first_bad = 0, None
    for line, row in twcs_rows(path):
        rows += 1
        problem = twcs_problem(row)
        if problem:
            stats.read += 1
            stats.skip("malformed", line)
            first_bad = first_bad or (line, problem)
            continue
        tid, customer = tweet_id(row["tweet_id"]), inbound(row["inbound"])
        if tid in tweets:      # a second row of one tweet: the first is kept, this one counted
            stats.read += 1
            stats.skip("duplicate_id", line)
            continue
        tweets[tid] = (line, customer, row["text"])
        parent = tweet_id(row["in_response_to_tweet_id"])
        if parent:
            talks.join(tid, parent)
        if parent and not customer:       # a company answering tweet `parent`
            key = (_time(row["created_at"]), line)
            if key[0] == float("inf"):    # sorted last: say so, the first reply may change
                notes["unreadable_created_at"] += 1
            if parent not in first_reply or key < first_reply[parent][0]:
                first_reply[parent] = (key, tid)
    check_malformed(path, rows, stats.skipped["malformed"], first_bad)
    notes["tweets"] = len(tweets)
    return _twcs_pairs(tweets, first_reply, talks, stats, notes)


def _twcs_pairs(tweets, first_reply, talks, stats, notes):
    records = []
    for tid, (line, customer, text) in tweets.items():
        if not customer:
            continue
        stats.read += 1
        if tid not in first_reply:
            stats.skip("no_reply", line)
            continue
        texts = unescape_all((text, tweets[first_reply[tid][1]][2]), notes)
        records.append((line, *map(anonymise, texts), f"conversation {talks.find(tid)}"))
    return records
