"""SQuAD and CoQA JSON as ``(where, source, target, group)`` records (:mod:`preprocess.qa`
has the formats, the counts and the notes)."""
import json
from pathlib import Path

from preprocess.texttools.errors import InputError

from .qa_common import HISTORY_A, HISTORY_Q, one_line


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
