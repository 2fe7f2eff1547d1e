"""``python -m preprocess.prepare qa``: each reader on a few records written in the real
format (SQuAD v2.0 JSON, CoQA JSON, the CMU Question-Answer folders, twcs.csv), the
prepare.json counts of a whole run, and bad input.

The whole-run tests stub ``fairseq-preprocess`` (the integration test
``tests/integration/test_preprocess.py::test_qa_end_to_end`` runs the real one, trains
and generates); everything else is the real code.
"""
import csv
import io
import json
import sys
from pathlib import Path

import pytest

from support import assert_one_line_error, run

from preprocess.texttools.errors import InputError
from preprocess import pipeline, prepare, qa

# --- fixtures in the real formats -------------------------------------------------------

RHINE = ("The Rhine is a European river that begins in the Swiss canton of Graubunden. "
         "It empties into the North Sea.")
TEA = "Tea is an aromatic beverage\nprepared by pouring hot water over cured leaves."


def squad_doc():
    """SQuAD v2.0: an answerable question, an unanswerable one, a tab and a newline."""
    return {"version": "v2.0", "data": [
        {"title": "Rhine", "paragraphs": [{"context": RHINE, "qas": [
            {"id": "r1", "question": "Where does the Rhine begin?", "is_impossible": False,
             "answers": [{"text": "the Swiss canton of Graubunden", "answer_start": 45},
                         {"text": "Graubunden", "answer_start": 65}]},
            {"id": "r2", "question": "How many bridges cross the Rhine?", "answers": [],
             "plausible_answers": [{"text": "Swiss", "answer_start": 49}],
             "is_impossible": True},
            {"id": "r3", "question": "Into which sea does the Rhine empty?",
             "is_impossible": False, "answers": [{"text": "the North Sea", "answer_start": 93}]},
        ]}]},
        {"title": "Tea", "paragraphs": [{"context": TEA, "qas": [
            {"id": "t1", "question": "What is\tpoured over the leaves?", "is_impossible": False,
             "answers": [{"text": "hot water", "answer_start": 48}]},
        ]}]},
    ]}


STORY = "Cotton was a little white kitten.\nShe lived in a barn. She liked milk."


def coqa_doc():
    """CoQA: four turns of one story, the third answered ``unknown``."""
    return {"version": "1.0", "data": [{
        "source": "mctest", "id": "s1", "filename": "mc160.test.41", "story": STORY,
        "questions": [
            {"input_text": "What color was Cotton?", "turn_id": 1},
            {"input_text": "Where did she live?", "turn_id": 2},
            {"input_text": "Did she have a dog?", "turn_id": 3},
            {"input_text": "What did she like?", "turn_id": 4},
        ],
        "answers": [
            {"span_start": 20, "span_end": 25, "span_text": "white", "input_text": "white",
             "turn_id": 1},
            {"span_start": 34, "span_end": 54, "span_text": "She lived in a barn.",
             "input_text": "in a barn", "turn_id": 2},
            {"span_start": -1, "span_end": -1, "span_text": "unknown", "input_text": "unknown",
             "turn_id": 3},
            {"span_start": 55, "span_end": 70, "span_text": "She liked milk.",
             "input_text": "milk", "turn_id": 4},
        ],
    }]}


CMU_HEADER = ("ArticleTitle\tQuestion\tAnswer\tDifficultyFromQuestioner\t"
              "DifficultyFromAnswerer\tArticleFile")


def cmu_folder(root, rows_by_year=None):
    """The CMU layout: ``root/S08/question_answer_pairs.txt`` ... (bytes, CRLF in S09)."""
    rows_by_year = rows_by_year or {
        "S08": [b"Alessandro_Volta\tWas Volta an Italian physicist?\tyes\teasy\teasy\t"
                b"data/set4/a10",
                b"Alessandro_Volta\tWas Volta an Italian physicist?\tyes\teasy\teasy\t"
                b"data/set4/a10",                                          # duplicate
                b"Alessandro_Volta\tWhere was Volta born?\tNULL\tmedium\tNULL\tdata/set4/a10",
                b"Amp\xe8re\tWho named the unit ampere?\tAndr\xe9-Marie Amp\xe8re\thard\t"
                b"hard\tdata/set4/a2",                                     # Latin-1 bytes
                b"Amp\xe8re\ttoo few fields",
                b" "],
        "S09": [b"Beetle\tHow many legs does a beetle have?\tSix.\teasy\teasy\tdata/set1/a1\r"],
    }
    for year, rows in rows_by_year.items():
        (root / year).mkdir(parents=True)
        eol = b"\r\n" if year == "S09" else b"\n"
        body = CMU_HEADER.encode() + eol + b"".join(r.rstrip(b"\r") + eol for r in rows)
        (root / year / "question_answer_pairs.txt").write_bytes(body)
    return root


TWCS_HEADER = ("tweet_id,author_id,inbound,created_at,text,response_tweet_id,"
               "in_response_to_tweet_id\n")
#: the first conversation of twcs.csv (a reply chain: 5 -> 4 -> 3 -> 1 -> 2, and 6 a later
#: second reply to 5), a tweet with a URL, handles and a newline inside quotes, a bad row,
#: a customer answering their own tweet before the company does (13 -> 14, 15), an id
#: written as a float (10.0, as in copies re-saved by pandas)
TWCS = TWCS_HEADER + """\
1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,@115712 I understand. I would like to help.,2,3
2,115712,True,Tue Oct 31 22:11:45 +0000 2017,@sprintcare and how do you propose we do that,,1
3,115712,True,Tue Oct 31 22:08:27 +0000 2017,@sprintcare I have sent several private messages,1,4
6,sprintcare,False,Tue Oct 31 23:30:00 +0000 2017,@115712 Any news? https://t.co/abc,,5
4,sprintcare,False,Tue Oct 31 21:54:49 +0000 2017,@115712 Please send us a Private Message.,3,5
5,115712,True,Tue Oct 31 21:49:35 +0000 2017,@sprintcare is the worst customer service,"4,6",
10,115713,True,Wed Nov 01 08:00:00 +0000 2017,"@AppleSupport my phone
won't charge, see www.example.com/x (ask me@home.org)",11,
11,AppleSupport,False,Wed Nov 01 08:05:00 +0000 2017,"@115713 Let's take a look, DM us: https://t.co/dm",,10.0
12,115714,maybe,Wed Nov 01 09:00:00 +0000 2017,what,,
13,115715,True,Thu Nov 02 10:00:00 +0000 2017,@AskPlayStation my download is stuck,"14,15",
14,115715,True,Thu Nov 02 10:01:00 +0000 2017,@AskPlayStation still stuck,,13
15,AskPlayStation,False,Thu Nov 02 10:20:00 +0000 2017,@115715 Restart the console.,,13
"""


def write_json(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def read(fmt, path, **opts):
    kept, stats, notes = qa.read(fmt, path, qa.QAOptions(**opts))
    return [(r[0], r[1], r[2]) for r in kept], stats.as_dict(), dict(notes)


# --- readers ----------------------------------------------------------------------------

def test_squad_pairs_and_counts(tmp_path):
    path = write_json(tmp_path / "train-v2.0.json", squad_doc())
    pairs, stats, notes = read("squad", path)
    assert pairs == [
        ("r1", f"Where does the Rhine begin? <sep> {RHINE}", "the Swiss canton of Graubunden"),
        ("r3", f"Into which sea does the Rhine empty? <sep> {RHINE}", "the North Sea"),
        ("t1", "What is poured over the leaves? <sep> Tea is an aromatic beverage prepared "
               "by pouring hot water over cured leaves.", "hot water"),
    ]
    assert (stats["read"], stats["kept"], stats["skipped"]) == (4, 3, {"unanswerable": 1})
    assert stats["skipped_lines"] == {"unanswerable": ["r2"]}
    assert notes == {"unanswerable": 1}

    pairs, stats, notes = read("squad", path, keep_unanswerable=True, context_window=5)
    assert pairs[1] == ("r2", "How many bridges cross the Rhine? <sep> The Rhine is a European",
                        "<no_answer>")                    # no answer: the context's start
    assert pairs[2][1] == "Into which sea does the Rhine empty? <sep> empties into the North Sea."
    assert stats["kept"] == 4 and notes == {"unanswerable": 1, "truncated_contexts": 4}


def test_coqa_history_window_and_unknown(tmp_path):
    path = write_json(tmp_path / "coqa-train-v1.0.json", coqa_doc())
    story = " ".join(STORY.split())
    pairs, stats, notes = read("coqa", path)
    assert pairs == [
        ("s1:1", f"What color was Cotton? <sep> {story}", "white"),
        ("s1:2", f"Where did she live? <sep> <q> What color was Cotton? <a> white <sep> {story}",
         "in a barn"),
        ("s1:4", "What did she like? <sep> <q> Where did she live? <a> in a barn "
                 f"<q> Did she have a dog? <a> unknown <sep> {story}", "milk"),
    ]
    assert stats["skipped"] == {"unknown": 1} and stats["skipped_lines"] == {"unknown": ["s1:3"]}
    assert (stats["read"], stats["kept"], notes) == (4, 3, {"unknown": 1})

    pairs, stats, _ = read("coqa", path, history=1, context_window=4, keep_unanswerable=True)
    assert [p[2] for p in pairs] == ["white", "in a barn", "<no_answer>", "milk"]
    assert pairs[2][1] == ("Did she have a dog? <sep> <q> Where did she live? <a> in a barn "
                           "<sep> Cotton was a little")         # no span: the story's start
    assert pairs[3][1].endswith("<sep> barn. She liked milk.")  # centred on the rationale


def test_cmu_latin1_null_duplicate_malformed(tmp_path):
    folder = cmu_folder(tmp_path / "Question_Answer_Dataset_v1.2")
    pairs, stats, notes = read("cmu-qa", folder)
    assert pairs == [
        ("S08:2", "Was Volta an Italian physicist?", "yes"),
        ("S08:5", "Who named the unit ampere?", "André-Marie Ampère"),
        ("S09:2", "How many legs does a beetle have?", "Six."),
    ]
    assert stats["read"] == 7 and stats["kept"] == 3
    assert stats["skipped_lines"] == {"duplicate": ["S08:3"], "empty": ["S08:7"],
                                      "malformed": ["S08:6"], "null_answer": ["S08:4"]}
    assert notes == {"latin1_lines": 2}
    # one file given directly works too
    one = read("cmu-qa", folder / "S09" / "question_answer_pairs.txt")[0]
    assert one == [pairs[2]]


def test_twcs_first_company_reply_placeholders(tmp_path):
    path = tmp_path / "twcs.csv"
    path.write_text(TWCS, encoding="utf-8")
    kept, stats, notes = qa.read("twcs", path, qa.QAOptions())
    assert [(r[0], r[1], r[2]) for r in kept] == [
        (4, "<user> I have sent several private messages",
         "<user> I understand. I would like to help."),
        (7, "<user> is the worst customer service",          # 4 answered first, not 6
         "<user> Please send us a Private Message."),
        (8, "<user> my phone won't charge, see <url> (ask me@home.org)",
         "<user> Let's take a look, DM us: <url>"),
        (12, "<user> my download is stuck", "<user> Restart the console."),  # 15, not 14
    ]
    assert kept[0][3] == kept[1][3] != kept[2][3] != kept[3][3]   # grouped by conversation
    s = stats.as_dict()
    assert (s["read"], s["kept"]) == (7, 4)
    assert s["skipped_lines"] == {"malformed": [11], "no_reply": [3, 13]}
    assert dict(notes) == {"tweets": 11}


# --- real copies of the corpora: the Kaggle layout, spreadsheets, entities, stray CRs ----

def test_coqa_skipped_turn_is_not_a_truncated_context(tmp_path):
    path = write_json(tmp_path / "coqa-train-v1.0.json", coqa_doc())
    _, stats, notes = read("coqa", path, context_window=4)
    assert stats["kept"] == 3 and notes == {"unknown": 1, "truncated_contexts": 3}


def kaggle_cmu(root):
    """Kaggle's copy of the CMU data: one flat folder of S08_question_answer_pairs.txt ...,
    UTF-8 with a BOM (S10 with a Latin-1 line), ArticleFile rewritten, HTML entities."""
    rows = {
        "S08": [b"Swan\tWhat is swan in Polish?\t&#321;ab&#281;d&#378;\teasy\teasy\tS08_set1_a1",
                b"Swan\tWhere do swans live?\tNULL\thard\tNULL\tS08_set1_a1"],
        "S09": [b"Egypt\tWhen was the New Kingdom?\tc.1550&#8722;1070 BC\teasy\teasy\t"
                b"S09_set2_a3"],
        "S10": [b"Amp\xe8re\tWho was Amp\xe8re?\tA physicist &amp; mathematician\thard\t"
                b"hard\tS10_set4_a2"],
    }
    root.mkdir()
    for year, lines in rows.items():
        body = b"".join(r + b"\r\n" for r in [CMU_HEADER.encode(), *lines])
        body = b"\xef\xbb\xbf" + body
        (root / f"{year}_question_answer_pairs.txt").write_bytes(body)
    return root


def test_cmu_kaggle_layout_bom_entities(tmp_path):
    folder = kaggle_cmu(tmp_path / "questionanswer-dataset")
    pairs, stats, notes = read("cmu-qa", folder)
    assert pairs == [("S08:2", "What is swan in Polish?", "Łabędź"),
                     ("S09:2", "When was the New Kingdom?", "c.1550\u22121070 BC"),
                     ("S10:2", "Who was Ampère?", "A physicist & mathematician")]
    assert stats["skipped_lines"] == {"null_answer": ["S08:3"]}
    assert notes == {"html_unescaped": 3, "latin1_lines": 1}
    # one file of either layout: skips are named by the set, not the folder
    _, stats, _ = read("cmu-qa", folder / "S08_question_answer_pairs.txt")
    assert stats["skipped_lines"] == {"null_answer": ["S08:3"]}
    (tmp_path / "both" / "S08").mkdir(parents=True)
    (tmp_path / "both" / "S08" / "question_answer_pairs.txt").write_bytes(
        (folder / "S08_question_answer_pairs.txt").read_bytes())
    (tmp_path / "both" / "S09_question_answer_pairs.txt").write_bytes(
        (folder / "S09_question_answer_pairs.txt").read_bytes())
    with pytest.raises(InputError, match="holds both layouts"):
        read("cmu-qa", tmp_path / "both")


def twcs_pairs(path):
    kept, stats, notes = qa.read("twcs", path, qa.QAOptions())
    return kept, stats.as_dict(), dict(notes)


def excel_copy(text):
    """twcs.csv saved by Excel as CSV UTF-8: a BOM, CRLF line ends, TRUE/FALSE."""
    text = text.replace(",True,", ",TRUE,").replace(",False,", ",FALSE,")
    return "\ufeff" + text.replace("\n", "\r\n")


def pandas_copy(text):
    """twcs.csv re-saved by pandas: an index column, reply ids written as floats."""
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["", *rows[0]])
    for i, row in enumerate(rows[1:]):
        parent = row[-1]
        writer.writerow([i, *row[:-1], f"{parent}.0" if parent.isdigit() else parent])
    return out.getvalue()


def test_twcs_spreadsheet_and_pandas_copies(tmp_path):
    original = tmp_path / "twcs.csv"
    original.write_text(TWCS, encoding="utf-8")
    expected = twcs_pairs(original)
    for name, copy in (("excel.csv", excel_copy), ("pandas.csv", pandas_copy)):
        path = tmp_path / name
        path.write_text(copy(TWCS), encoding="utf-8", newline="")
        assert twcs_pairs(path) == expected, name


def test_twcs_mostly_malformed_says_why(tmp_path):
    path = tmp_path / "twcs.csv"
    path.write_text(TWCS.replace(",True,", ",Y,").replace(",False,", ",N,"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        qa.read("twcs", path, qa.QAOptions())
    message = str(e.value)
    assert "\n" not in message and str(path) in message
    assert "12 of 12 rows are malformed" in message
    assert "the first, line 2: inbound is 'N' (expected True or False)" in message
    path.write_bytes(TWCS.replace("\n", "\r").encode())      # an old Mac file: no line ends
    with pytest.raises(InputError, match="lines end in bare carriage returns"):
        qa.read("twcs", path, qa.QAOptions())


def test_twcs_carriage_return_in_unquoted_tweet_and_entities(tmp_path):
    path = tmp_path / "twcs.csv"
    path.write_bytes(TWCS_HEADER.encode() + (
        "20,115716,True,Fri Nov 03 10:00:00 +0000 2017,@sky my box\rkeeps rebooting &amp; "
        "freezing,21,\n"
        "21,SkyHelpTeam,False,Fri Nov 03 10:05:00 +0000 2017,@115716 Sorry &lt;3 try "
        "Settings &gt; Reset,,20\n"
        "22,115717,maybe,Fri Nov 03 11:00:00 +0000 2017,what,,\n"
        '23,115718,True,Fri Nov 03 12:00:00 +0000 2017,"@sky thanks\ra lot",,\n').encode())
    kept, stats, notes = twcs_pairs(path)
    assert [(r[0], r[1], r[2]) for r in kept] == [
        (2, "<user> my box keeps rebooting & freezing", "<user> Sorry <3 try Settings > Reset")]
    assert stats["skipped_lines"] == {"malformed": [4], "no_reply": [5]}
    assert notes == {"tweets": 3, "html_unescaped": 1}


def test_twcs_a_repeated_tweet_id_is_counted_not_silently_replaced(tmp_path):
    """A copy that holds a tweet twice (concatenated excerpts) keeps the first row and counts
    the second, instead of letting it silently replace the first."""
    path = tmp_path / "twcs.csv"
    path.write_text(TWCS + "5,115712,True,Wed Nov 08 09:00:00 +0000 2017,another text,,\n",
                    encoding="utf-8")
    kept, stats, _ = twcs_pairs(path)
    original = tmp_path / "original.csv"
    original.write_text(TWCS, encoding="utf-8")
    assert kept == twcs_pairs(original)[0]
    assert stats["skipped_lines"]["duplicate_id"] == [15]   # its physical line


def test_twcs_a_reply_date_a_spreadsheet_rewrote_is_counted(tmp_path):
    """A reply whose created_at cannot be read sorts after the others (so another reply may
    count as the first): the summary's notes say how many."""
    path = tmp_path / "twcs.csv"
    path.write_text(TWCS.replace("Tue Oct 31 23:30:00 +0000 2017", "31/10/2017 23:30"),
                    encoding="utf-8")
    _, _, notes = twcs_pairs(path)
    assert notes["unreadable_created_at"] == 1
    assert "unreadable_created_at" not in twcs_pairs_of(tmp_path, TWCS)[2]


def twcs_pairs_of(folder, text):
    path = folder / "plain.csv"
    path.write_text(text, encoding="utf-8")
    return twcs_pairs(path)


# --- a whole run: prepare.json -----------------------------------------------------------

@pytest.fixture
def no_fairseq(monkeypatch):
    """fairseq-preprocess replaced by a stub (the integration test runs the real one)."""
    monkeypatch.setattr(pipeline.binarize_mod, "binarize",
                        lambda src, tgt, prefixes, destdir, *a: {src: 0, tgt: 0})


def many_articles(root, n=8):
    """n articles of 3 questions; the first answered ``yes`` in every article."""
    rows = [f"Article_{a}\tQuestion {q} about {a}?\t{f'Answer {q}{a}' if q else 'yes'}\teasy\t"
            f"easy\tdata/a{a}".encode() for a in range(n) for q in range(3)]
    return cmu_folder(root, {"S08": rows[:12], "S10": rows[12:]})


def test_prepare_cmu_split_by_article(tmp_path, no_fairseq):
    folder = many_articles(tmp_path / "cmu")
    out = tmp_path / "out"
    assert prepare.main(["qa", "--format", "cmu-qa", "--input", str(folder), "--out", str(out),
                         "--tokenizer", "bpe", "--vocab-size", "50", "--valid-size", "3",
                         "--test-size", "3"]) == 0
    m = json.loads((out / "prepare.json").read_text(encoding="utf-8"))
    assert (m["corpus"], m["src_lang"], m["tgt_lang"], m["qa"]["format"]) == \
        ("qa", "src", "tgt", "cmu-qa")
    assert {k: (c["read"], c["kept"]) for k, c in m["counts"].items()} == \
        {"all": (24, 24), "train": (18, 18), "valid": (3, 3), "test": (3, 3)}
    articles = {}
    for split in ("train", "valid", "test"):
        src = (out / "raw" / f"{split}.src").read_text(encoding="utf-8").splitlines()
        assert len(src) == len((out / "tok" / f"{split}.tgt").read_text().splitlines())
        articles[split] = {line.split()[-1] for line in src}
    assert len(articles["test"]) == len(articles["valid"]) == 1
    assert not articles["train"] & articles["test"] and not articles["train"] & articles["valid"]
    assert (out / "bpe" / "codes.src").is_file() and m["inputs"]["test"] == "carved"


def test_prepare_squad_dev_becomes_test_with_skip_counts(tmp_path, no_fairseq, capsys):
    doc = squad_doc()
    for a in range(4):                       # more articles, so that valid can be carved
        doc["data"].append({"title": f"A{a}", "paragraphs": [{"context": f"Word {a} here.",
                            "qas": [{"id": f"a{a}", "question": f"Which {a}?",
                                     "answers": [{"text": f"{a}", "answer_start": 5}]}]}]})
    train = write_json(tmp_path / "train-v2.0.json", doc)
    dev = write_json(tmp_path / "dev-v2.0.json", squad_doc())
    out = tmp_path / "out"
    assert prepare.main(["qa", "--format", "squad", "--input", str(train), str(dev), "--out",
                         str(out), "--tokenizer", "bpe", "--vocab-size", "100",
                         "--valid-size", "1"]) == 0
    m = json.loads((out / "prepare.json").read_text(encoding="utf-8"))
    c = m["counts"]
    assert (c["all"]["read"], c["all"]["kept"], c["all"]["skipped"]) == \
        (8, 7, {"unanswerable": 1})
    assert (c["train"]["kept"], c["valid"]["kept"]) == (6, 1)
    assert (c["test"]["read"], c["test"]["kept"]) == (4, 3)
    assert c["test"]["skipped_lines"] == {"unanswerable": ["r2"]}
    assert m["qa"]["notes"] == {"all": {"unanswerable": 1}, "test": {"unanswerable": 1}}
    assert (out / "raw/test.tgt").read_text(encoding="utf-8").splitlines() == \
        ["the Swiss canton of Graubunden", "the North Sea", "hot water"]
    assert "test: read 4, kept 3, skipped 1 (unanswerable 1: questions r2)" in \
        capsys.readouterr().out


# --- bad input: one line naming the file and the problem, nothing in --out ----------------

def prepare_qa(tmp_path, fmt, *inputs, extra=()):
    return run([sys.executable, "-m", "preprocess.prepare", "qa", "--format", fmt, "--input",
                *inputs, "--out", tmp_path / "out", *extra], check=False)


def assert_refused(tmp_path, proc, *fragments):
    assert_one_line_error(proc, *fragments)
    assert not (tmp_path / "out").exists()


def test_bad_json_inputs(tmp_path):
    coqa = write_json(tmp_path / "coqa.json", coqa_doc())
    squad = write_json(tmp_path / "squad.json", squad_doc())
    assert_refused(tmp_path, prepare_qa(tmp_path, "squad", coqa),
                   f"{coqa} is not SQuAD JSON", "data[0]: missing key 'paragraphs'")
    assert_refused(tmp_path, prepare_qa(tmp_path, "coqa", squad),
                   f"{squad} is not CoQA JSON", "data[0]: missing key 'story'")
    doc = coqa_doc()
    doc["data"][0]["answers"][1]["turn_id"] = [2]
    bad_turn = write_json(tmp_path / "turn.json", doc)
    assert_refused(tmp_path, prepare_qa(tmp_path, "coqa", bad_turn), f"{bad_turn} is not CoQA",
                   "data[0].answers[1].turn_id: expected int/str, got list")
    listed = write_json(tmp_path / "list.json", [1, 2])
    assert_refused(tmp_path, prepare_qa(tmp_path, "squad", listed),
                   str(listed), "top level: expected a JSON object, got list")
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [', encoding="utf-8")
    assert_refused(tmp_path, prepare_qa(tmp_path, "coqa", broken),
                   f"{broken} is not valid JSON")


def test_bad_tsv_and_csv_inputs(tmp_path):
    folder = cmu_folder(tmp_path / "cmu")
    body = (folder / "S09" / "question_answer_pairs.txt").read_bytes().split(b"\n", 1)[1]
    (folder / "S09" / "question_answer_pairs.txt").write_bytes(body)   # header row removed
    assert_refused(tmp_path, prepare_qa(tmp_path, "cmu-qa", folder),
                   str(folder / "S09" / "question_answer_pairs.txt"),
                   "first line is not the header ArticleTitle Question Answer")
    (tmp_path / "empty").mkdir()
    assert_refused(tmp_path, prepare_qa(tmp_path, "cmu-qa", tmp_path / "empty"),
                   str(tmp_path / "empty"), "holds no question_answer_pairs.txt")

    csv_path = tmp_path / "twcs.csv"
    csv_path.write_text(TWCS.replace(",in_response_to_tweet_id", ""), encoding="utf-8")
    assert_refused(tmp_path, prepare_qa(tmp_path, "twcs", csv_path),
                   str(csv_path), "no column in_response_to_tweet_id")


def test_missing_inputs_and_bad_options(tmp_path):
    for fmt in qa.FORMATS:
        nowhere = tmp_path / f"nowhere-{fmt}"
        assert_refused(tmp_path, prepare_qa(tmp_path, fmt, nowhere), "missing corpus", str(nowhere))
    squad = write_json(tmp_path / "squad.json", squad_doc())
    assert_refused(tmp_path, prepare_qa(tmp_path, "twcs", squad, squad),
                   "qa --format twcs takes one --input, got 2")
    assert_refused(tmp_path, prepare_qa(tmp_path, "squad", squad, extra=["--history", "-1"]),
                   "--history must be >= 0")
    # 3 usable pairs cannot hold a carved test and valid set and leave training data
    assert_refused(tmp_path, prepare_qa(tmp_path, "squad", squad),
                   "only 3 usable pairs: too few to carve")
    # the one story's 3 turns do not fit in a 1-pair valid set
    coqa = write_json(tmp_path / "coqa.json", coqa_doc())
    assert_refused(tmp_path, prepare_qa(tmp_path, "coqa", coqa, coqa,
                                        extra=["--valid-size", "1"]),
                   "no whole story fits in --valid-size 1")


def test_json_not_utf8(tmp_path):
    path = Path(tmp_path / "latin.json")
    path.write_bytes(b'{"data": [{"title": "Caf\xe9"}]}')
    assert_refused(tmp_path, prepare_qa(tmp_path, "squad", path), str(path), "not valid UTF-8")
