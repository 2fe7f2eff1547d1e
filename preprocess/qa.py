"""Question-answering and dialogue corpora as (source, target) pairs, one reader per format.

``python -m preprocess.prepare qa --format FORMAT --input PATH...`` reads the corpus as it
is distributed, turns every record into one ``(where, source, target, group)`` tuple and
hands the pairs to the translation pipeline (subwords, ``fairseq-preprocess``,
``prepare.json``):

- ``squad``  -- SQuAD v1.1 / v2.0 JSON: ``question <sep> context`` -> the first gold answer;
- ``coqa``   -- CoQA JSON: ``question <sep> <q> q <a> a ... <sep> story`` (the previous K
  turns) -> the free-form answer;
- ``cmu-qa`` -- CMU Question-Answer dataset v1.2 (``S08/ S09/ S10/question_answer_pairs.txt``,
  or Kaggle's flat ``S08_question_answer_pairs.txt`` ...): question -> answer;
- ``twcs``   -- Customer Support on Twitter (``twcs.csv``): inbound customer tweet -> the
  company's first reply, handles and URLs replaced by ``<user>`` and ``<url>``.

``where`` names the record in skip reports (a question id, ``story:turn``, ``S08:12`` or
the CSV's physical line); ``group`` is the unit kept whole when valid/test are carved
(SQuAD article, CoQA story, CMU article, Twitter conversation), so no document is in two
splits.

Each reader counts every record in a :class:`~preprocess.text.SplitStats` (``read``, and
skips with a reason: ``unanswerable``, ``unknown``, ``no_answer``, ``null_answer``,
``no_reply``, ``malformed``: a CMU line with too few fields, a twcs row with more or fewer
fields than the header, no id or ``inbound`` not true/false; ``duplicate_id``: a twcs row
whose tweet id an earlier row has) and other events in a
``Counter`` of notes (answers kept as ``<no_answer>``, truncated contexts, Latin-1 lines,
records whose HTML escapes were decoded). :func:`clean` then normalises the
text like every other corpus and counts ``empty``, ``invalid_utf8`` and ``duplicate``.
A file that is missing or not in the format is an :class:`InputError` naming it.
"""
import csv
import dataclasses
import html
import itertools
import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

from preprocess.texttools.errors import InputError
from preprocess.texttools.normalize import normalize

from .lines import read_lines
from .text import SplitStats

FORMATS = ("squad", "coqa", "cmu-qa", "twcs")
#: what the names of skipped records are, in the summary: JSON ids are no line numbers
WHERE = {"squad": "questions", "coqa": "turns", "cmu-qa": "lines", "twcs": "lines"}
SEP = "<sep>"
NO_ANSWER = "<no_answer>"
HISTORY_Q, HISTORY_A = "<q>", "<a>"
USER, URL = "<user>", "<url>"


@dataclasses.dataclass
class QAOptions:
    """How records become lines (CLI flags of the same name)."""
    sep: str = SEP
    context_window: int = 0         # SQuAD/CoQA: context words kept around the answer, 0 = all
    keep_unanswerable: bool = False  # SQuAD impossible / CoQA unknown -> no_answer_token
    no_answer_token: str = NO_ANSWER
    history: int = 2                # CoQA: previous turns put before the story

    def check(self):
        if self.context_window < 0:
            raise InputError("--context-window must be >= 0")
        if self.history < 0:
            raise InputError("--history must be >= 0")
        for name in ("sep", "no_answer_token"):
            value = getattr(self, name)
            if not value or value != " ".join(value.split()) or " " in value:
                raise InputError(f"--{name.replace('_', '-')} must be one token, "
                                 f"got {value!r}")
        return self


def one_line(text):
    """Collapse all whitespace (newlines too) to single spaces: one example per line."""
    return " ".join(text.split())


# Only complete references, ``&amp;`` or ``&#321;``: html.unescape alone also expands the
# legacy forms without ``;`` (``&not``, ``&copy``), which would turn "&notice" into "¬ice".
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def unescape(text):
    """``text`` with its HTML character references decoded (CMU lines and tweets carry them:
    ``&#321;ab&#281;d&#378;``, ``&amp;``), so the model never learns the escapes."""
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text)


def unescape_all(texts, notes):
    """:func:`unescape` each text; a record with any change is counted as ``html_unescaped``."""
    out = [unescape(t) for t in texts]
    if out != list(texts):
        notes["html_unescaped"] += 1
    return out


# --- JSON (SQuAD, CoQA) -----------------------------------------------------------------

class _Shape(InputError):
    """A JSON document that is not shaped like the format: the reader adds the file name."""


def require(obj, key, where, kind=None):
    """``obj[key]``, or :class:`InputError` naming the JSON location that lacks it."""
    if not isinstance(obj, dict):
        raise _Shape(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if key not in obj:
        raise _Shape(f"{where}: missing key {key!r}")
    value = obj[key]
    if kind is not None and not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise _Shape(f"{where}.{key}: expected {names}, got {type(value).__name__}")
    return value


def load_json(path):
    """The parsed JSON file; a missing, unreadable, non-UTF-8 or invalid file is an error."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"missing corpus file {path}")
    try:
        with open(path, encoding="utf-8-sig") as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not valid UTF-8 ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path} is not valid JSON: {e}") from None


def _shaped(reader, path, what, *args):
    """Run ``reader(path, *args)``, naming ``path`` in a shape error."""
    try:
        return reader(path, *args)
    except _Shape as e:
        raise InputError(f"{path} is not {what} JSON: {e}") from None


def answer_char_span(context, answer, where):
    """Character span of a SQuAD answer in the context, or None if it cannot be located.

    ``answer_start`` is trusted when the text really is there; otherwise (hand-edited or
    re-normalised files) the first occurrence of the answer text is used.
    """
    text = require(answer, "text", where, str)
    start = answer.get("answer_start")
    if isinstance(start, int) and context[start:start + len(text)] == text:
        return start, start + len(text)
    found = context.find(text)
    return (found, found + len(text)) if found >= 0 and text else None


def context_window(context, span, n_words):
    """At most ``n_words`` whitespace words of the context, centred on ``span``.

    Words overlapping the answer's character span are always kept (even if the answer
    alone is longer than the window); the remaining budget is split evenly before and
    after it and shifted inwards at the paragraph's edges. Without a span (unanswerable
    or unlocatable answer) the first ``n_words`` words are kept.
    """
    words, offsets, pos = context.split(), [], 0
    for word in words:
        pos = context.index(word, pos)
        offsets.append((pos, pos + len(word)))
        pos += len(word)
    if len(words) <= n_words:
        return " ".join(words)
    if span is None:
        return " ".join(words[:n_words])
    inside = [i for i, (s, e) in enumerate(offsets) if s < span[1] and e > span[0]]
    first, last = (inside[0], inside[-1]) if inside else (0, 0)
    spare = max(n_words - (last - first + 1), 0)
    lo = max(first - spare // 2, 0)
    hi = min(lo + max(n_words, last - first + 1), len(words))
    lo = max(min(lo, hi - n_words), 0)
    return " ".join(words[lo:hi])


def _window(context, span, opts, notes):
    """The context as one line, cut to ``--context-window`` words (counted when cut)."""
    if not opts.context_window:
        return one_line(context)
    window = context_window(context, span, opts.context_window)
    if len(window.split()) < len(context.split()):
        notes["truncated_contexts"] += 1
    return window


# SQuAD: {"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question",
#         "answers": [{"text", "answer_start"}], "is_impossible" (v2.0 only)}]}]}]}

def squad_questions(squad):
    """``(where, article_no, context, qa)`` for every question, checking the nesting."""
    for a, article in enumerate(require(squad, "data", "top level", list)):
        for p, paragraph in enumerate(require(article, "paragraphs", f"data[{a}]", list)):
            where = f"data[{a}].paragraphs[{p}]"
            context = require(paragraph, "context", where, str)
            for q, qa in enumerate(require(paragraph, "qas", where, list)):
                yield f"{where}.qas[{q}]", a, context, qa


def squad_pair(where, context, qa, opts, stats, notes):
    """``(source, target)`` of one SQuAD question, or None when it is skipped (counted)."""
    question = one_line(require(qa, "question", where, str))
    name = str(qa.get("id", where))
    if qa.get("is_impossible", False):
        notes["unanswerable"] += 1
        if not opts.keep_unanswerable:
            stats.skip("unanswerable", name)
            return None
        answer, span = opts.no_answer_token, None
    else:
        answers = require(qa, "answers", where, list)
        if not answers:
            stats.skip("no_answer", name)
            return None
        answer = require(answers[0], "text", f"{where}.answers[0]", str)
        span = answer_char_span(context, answers[0], f"{where}.answers[0]")
        if span is None:
            notes["answer_not_in_context"] += 1
    return f"{question} {opts.sep} {_window(context, span, opts, notes)}", one_line(answer)


def _read_squad(path, opts, stats, notes):
    records = []
    for where, article, context, qa in squad_questions(load_json(path)):
        stats.read += 1
        pair = squad_pair(where, context, qa, opts, stats, notes)
        if pair:
            records.append((str(qa.get("id", where)), *pair, f"article {article}"))
    return records


def read_squad(path, opts, stats, notes):
    """SQuAD v1.1/v2.0 file -> ``(id, "question <sep> context", answer, article)`` tuples."""
    return _shaped(_read_squad, path, "SQuAD", opts, stats, notes)


# CoQA: {"data": [{"id", "story", "questions": [{"input_text", "turn_id"}],
#        "answers": [{"input_text", "span_start", "span_end", "span_text", "turn_id"}]}]}

def is_unknown(answer):
    """CoQA's unanswerable turns: the answer ``unknown`` (any case, final period)."""
    return answer.lower().rstrip(".").strip() == "unknown"


def _coqa_span(story, answer):
    """The answer's rationale span in the story, or None (``-1`` for unknown answers)."""
    start, end = answer.get("span_start"), answer.get("span_end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(story):
        return start, end
    return None


def _coqa_source(question, history, story, span, opts, notes):
    turns = " ".join(f"{HISTORY_Q} {q} {HISTORY_A} {a}" for q, a in history)
    window = _window(story, span, opts, notes)
    return f"{question} {opts.sep} {turns} {opts.sep} {window}" if turns else \
        f"{question} {opts.sep} {window}"


def coqa_story(where, story, opts, stats, notes):
    """``(name, source, target)`` for each answered turn of one CoQA story."""
    text = require(story, "story", where, str)
    sid = str(story.get("id", where))
    answers = {}
    for i, ans in enumerate(require(story, "answers", where, list)):
        answers[require(ans, "turn_id", f"{where}.answers[{i}]", (int, str))] = ans
    history, rows = [], []
    for i, q in enumerate(require(story, "questions", where, list)):
        qwhere = f"{where}.questions[{i}]"
        turn = require(q, "turn_id", qwhere, (int, str))
        question = one_line(require(q, "input_text", qwhere, str))
        name, ans = f"{sid}:{turn}", answers.get(turn)
        stats.read += 1
        if ans is None:
            stats.skip("no_answer", name)
            continue
        answer = one_line(require(ans, "input_text", f"{where}.answers[turn {turn}]", str))
        recent = history[-opts.history:] if opts.history else []
        history.append((question, answer))     # a skipped turn is still context for the next
        if is_unknown(answer):
            notes["unknown"] += 1
            if not opts.keep_unanswerable:
                stats.skip("unknown", name)
                continue
            answer = opts.no_answer_token
        # built only for a kept turn, so truncated_contexts counts what is written
        source = _coqa_source(question, recent, text, _coqa_span(text, ans), opts, notes)
        rows.append((name, source, answer))
    return rows


def _read_coqa(path, opts, stats, notes):
    records = []
    for s, story in enumerate(require(load_json(path), "data", "top level", list)):
        for row in coqa_story(f"data[{s}]", story, opts, stats, notes):
            records.append((*row, f"story {story.get('id', s)}"))
    return records


def read_coqa(path, opts, stats, notes):
    """CoQA file -> ``(story:turn, question+history+story, answer, story)`` tuples."""
    return _shaped(_read_coqa, path, "CoQA", opts, stats, notes)


# --- CMU Question-Answer dataset v1.2 -----------------------------------------------------
# S08/, S09/, S10/, each a question_answer_pairs.txt: tab-separated, a header row, then
# ArticleTitle, Question, Answer, DifficultyFromQuestioner, DifficultyFromAnswerer,
# ArticleFile; UTF-8 or Latin-1 (Windows-1252) line by line; a missing answer is NULL;
# HTML character references in the text (&#321;). Kaggle's copy is one flat folder of
# S08_question_answer_pairs.txt, S09_..., S10_... (UTF-8 with a BOM, ArticleFile rewritten).

CMU_FILE = "question_answer_pairs.txt"
CMU_HEADER = ("ArticleTitle", "Question", "Answer", "DifficultyFromQuestioner",
              "DifficultyFromAnswerer", "ArticleFile")


def cmu_files(path):
    """The ``question_answer_pairs.txt`` files of a CMU folder in either layout (the
    release's ``S08/question_answer_pairs.txt`` or Kaggle's ``S08_question_answer_pairs.txt``),
    or the file itself."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(f"missing corpus folder {path}")
    release = sorted(path.glob(f"*/{CMU_FILE}")) + sorted(path.glob(CMU_FILE))
    kaggle = sorted(path.glob(f"*_{CMU_FILE}"))
    if release and kaggle:   # the same sets twice would be read twice, then deduplicated
        raise InputError(f"{path} holds both layouts ({release[0].relative_to(path)} and "
                         f"{kaggle[0].name}): give the folder of one")
    if not release and not kaggle:
        raise InputError(f"{path} holds no {CMU_FILE} (expected S08/ S09/ S10/ each with one, "
                         f"or Kaggle's S08_{CMU_FILE} ...)")
    return release or kaggle


def cmu_set(path):
    """The set a CMU file belongs to, for naming its lines: ``S08`` of
    ``S08/question_answer_pairs.txt`` and of ``S08_question_answer_pairs.txt``."""
    path = Path(path)
    if path.name.endswith(f"_{CMU_FILE}"):
        return path.name[:-len(CMU_FILE) - 1]
    return path.parent.name


def decode_cmu(raw, notes):
    """One line of bytes as text: UTF-8, else Windows-1252, else Latin-1 (counted)."""
    raw = raw.rstrip(b"\r")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        notes["latin1_lines"] += 1
    try:   # Latin-1 files made on Windows: 0x80-0x9f are quotes and dashes, not controls
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _cmu_columns(path, header):
    """Column index of each header name; no header row is an error naming the file."""
    names = [n.strip() for n in header.lstrip("\ufeff").split("\t")]
    missing = [n for n in CMU_HEADER[:3] if n not in names]
    if missing:
        raise InputError(f"{path}: first line is not the header {' '.join(CMU_HEADER)} "
                         f"(no column {missing[0]})")
    return {n: names.index(n) for n in CMU_HEADER if n in names}


def read_cmu_file(path, stats, notes):
    """One ``question_answer_pairs.txt`` -> ``(S08:line, question, answer, article)``."""
    lines = read_lines(path)
    if not lines:
        raise InputError(f"{path} is empty (expected the header {' '.join(CMU_HEADER)})")
    cols = _cmu_columns(path, decode_cmu(lines[0], notes))
    need = max(cols[n] for n in CMU_HEADER[:3])
    records, year = [], cmu_set(path)
    for lineno, raw in enumerate(lines[1:], start=2):
        name = f"{year}:{lineno}"
        fields = decode_cmu(raw, notes).split("\t")
        stats.read += 1
        if not raw.strip():
            stats.skip("empty", name)
            continue
        if len(fields) <= need:
            stats.skip("malformed", name)
            continue
        title, question, answer = (fields[cols[n]] for n in CMU_HEADER[:3])
        if answer.strip() == "NULL":
            stats.skip("null_answer", name)
            continue
        question, answer = unescape_all((question, answer), notes)
        records.append((name, question, answer, f"article {title.strip().lower()}"))
    return records


def read_cmu_qa(path, stats, notes):
    """Every file of a CMU Question-Answer folder (S08/ S09/ S10/, or Kaggle's flat one)."""
    return [r for f in cmu_files(path) for r in read_cmu_file(f, stats, notes)]


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


# --- all formats ----------------------------------------------------------------------------

def _has_surrogates(text):
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def clean(records, stats, lowercase=False, dedupe=False):
    """Normalise both sides like every corpus; skip (counted) invalid UTF-8, empty sides and,
    with ``dedupe``, a pair already seen. ``stats.read`` was counted by the reader."""
    kept, seen = [], set()
    for where, src, tgt, group in records:
        if _has_surrogates(src) or _has_surrogates(tgt):
            stats.skip("invalid_utf8", where)
            continue
        src, tgt = normalize(src, lowercase), normalize(tgt, lowercase)
        if not src or not tgt:
            stats.skip("empty", where)
            continue
        if dedupe and (src, tgt) in seen:
            stats.skip("duplicate", where)
            continue
        seen.add((src, tgt))
        kept.append((where, src, tgt, group))
    stats.kept = len(kept)
    return kept


def read(fmt, path, opts, lowercase=False):
    """One input of ``fmt`` -> cleaned ``(where, src, tgt, group)`` tuples, stats, notes."""
    stats, notes = SplitStats(), Counter()
    if fmt == "squad":
        records = read_squad(path, opts, stats, notes)
    elif fmt == "coqa":
        records = read_coqa(path, opts, stats, notes)
    elif fmt == "cmu-qa":
        records = read_cmu_qa(path, stats, notes)
    elif fmt == "twcs":
        records = read_twcs(path, stats, notes)
    else:
        raise InputError(f"unknown QA format {fmt!r} (choose from {', '.join(FORMATS)})")
    return clean(records, stats, lowercase, dedupe=fmt == "cmu-qa"), stats, notes
