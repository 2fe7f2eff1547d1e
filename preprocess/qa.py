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

The readers live one format a module: :mod:`.qa_json` (SQuAD, CoQA), :mod:`.qa_cmu`,
:mod:`.qa_twcs`; what they share (:class:`QAOptions`, the special tokens, one line a
record, HTML references decoded) is :mod:`.qa_common`.
"""
from collections import Counter

from preprocess.texttools.errors import InputError
from preprocess.texttools.normalize import normalize

from .qa_cmu import read_cmu_qa
from .qa_common import NO_ANSWER, SEP, QAOptions  # noqa: F401  (the formats' options)
from .qa_json import read_coqa, read_squad
from .qa_twcs import read_twcs
from .text import SplitStats

FORMATS = ("squad", "coqa", "cmu-qa", "twcs")
#: what the names of skipped records are, in the summary: JSON ids are no line numbers
WHERE = {"squad": "questions", "coqa": "turns", "cmu-qa": "lines", "twcs": "lines"}


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
