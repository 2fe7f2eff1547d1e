"""The CMU Question-Answer dataset v1.2 as ``(where, source, target, group)`` records
(:mod:`preprocess.qa` has the formats, the counts and the notes)."""
from pathlib import Path

from preprocess.texttools.errors import InputError

from .lines import read_lines
from .qa_common import unescape_all


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
