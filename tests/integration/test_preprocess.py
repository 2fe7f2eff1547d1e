"""Tests of the data-preparation package (``python -m preprocess.prepare``).

Everything runs the real tools (sentencepiece, subword-nmt, fairseq-preprocess) on small
slices of the shared corpora; bad-input cases use tiny files built in ``tmp_path``, and so
does the QA test (none of the QA corpora is in the shared data), which also trains and generates.
Expensive runs are module-scoped fixtures shared by several tests.
"""
import gzip
import json
import os
import sys
from pathlib import Path

import pytest

from support import PLUGIN_DIR, assert_one_line_error, cli, run, train_cmd

from preprocess import corpora
from preprocess.split import carve
from preprocess.text import SplitStats, clean_pairs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SMALL = ["--train-limit", "2000", "--vocab-size", "500"]


def prepare(*args, check=True, env=None):
    return run([sys.executable, "-m", "preprocess.prepare", *args], check=check, env=env)


def lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")[:-1]


def manifest(out):
    return json.loads((Path(out) / "prepare.json").read_text(encoding="utf-8"))


def spm_encode(model, texts):
    import sentencepiece as spm

    return [" ".join(p) for p in spm.SentencePieceProcessor(model_file=str(model)).encode(
        texts, out_type=str)]


# --- shared runs ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def m30k(tmp_path_factory, data_dir):
    """Multi30k de-en, per-language sentencepiece."""
    out = tmp_path_factory.mktemp("m30k") / "out"
    proc = prepare("multi30k", "--src", "de", "--tgt", "en", "--raw-dir", data_dir / "multi30k",
                   "--out", out, *SMALL)
    return out, proc


@pytest.fixture(scope="module")
def m30k_joint_rev(tmp_path_factory, data_dir):
    """Multi30k de-en, one joint sentencepiece model, joined dictionary, reversed source."""
    out = tmp_path_factory.mktemp("joint") / "out"
    prepare("multi30k", "--raw-dir", data_dir / "multi30k", "--out", out, *SMALL,
            "--joint", "--joined-dictionary", "--reverse-source")
    return out


# --- multi30k ---------------------------------------------------------------------------

def test_multi30k_end_to_end(m30k, data_dir):
    from fairseq.data import Dictionary, indexed_dataset

    out, proc = m30k
    for name in ("dict.de.txt", "dict.en.txt", "train.de-en.de.bin", "train.de-en.en.idx",
                 "valid.de-en.de.bin", "test.de-en.en.bin"):
        assert (out / "bin" / name).is_file(), name
    m = manifest(out)
    assert (m["src_lang"], m["tgt_lang"], m["tokenizer"]) == ("de", "en", "sentencepiece")
    assert m["subword_models"] == {"de": "spm/de.model", "en": "spm/en.model"}
    assert m["counts"]["train"]["read"] == m["counts"]["train"]["kept"] == 2000
    assert m["counts"]["valid"]["kept"] == 1014 and m["counts"]["test"]["kept"] == 1000
    assert "train: read 2000, kept 2000" in proc.stdout

    # raw/ is the cleaned reference text; tok/ is exactly its segmentation; bin/ is tok/.
    src_raw = lines(out / m["raw"]["test"]["de"])
    assert len(src_raw) == 1000 and all(r == " ".join(r.split()) for r in src_raw)
    with gzip.open(data_dir / "multi30k" / "test_2016_flickr.de.gz", "rt", encoding="utf-8") as f:
        assert src_raw[0] == " ".join(f.readline().split())
    assert lines(out / "tok/test.de") == spm_encode(out / "spm/de.model", src_raw)
    dictionary = Dictionary.load(str(out / "bin/dict.en.txt"))
    data = indexed_dataset.MMapIndexedDataset(str(out / "bin/train.de-en.en"))
    tok = lines(out / "tok/train.en")
    assert len(data) == len(tok) == 2000
    assert dictionary.string(data[7]) == tok[7]


def test_per_language_vs_joint_dictionaries(m30k, m30k_joint_rev):
    per_lang, _ = m30k
    assert not (per_lang / "spm/joint.model").exists()
    de, en = (per_lang / "bin/dict.de.txt").read_text(), (per_lang / "bin/dict.en.txt").read_text()
    assert de != en and "▁Männer" in de and "▁Männer" not in en

    joint = m30k_joint_rev
    m = manifest(joint)
    assert m["joint"] and m["joined_dictionary"]
    assert m["subword_models"] == {"de": "spm/joint.model", "en": "spm/joint.model"}
    assert not (joint / "spm/de.model").exists()
    jde = (joint / "bin/dict.de.txt").read_text()
    assert jde == (joint / "bin/dict.en.txt").read_text()
    assert "▁Männer" in jde and "▁men" in jde


def test_reverse_source_reverses_source_tokens_only(m30k, m30k_joint_rev):
    rev = m30k_joint_rev
    assert manifest(rev)["reverse_source"] is True
    model = rev / "spm/joint.model"
    raw_de, raw_en = lines(rev / "raw/valid.de"), lines(rev / "raw/valid.en")
    forward = spm_encode(model, raw_de)
    reversed_tok = lines(rev / "tok/valid.de")
    assert reversed_tok == [" ".join(t.split()[::-1]) for t in forward]
    assert reversed_tok != forward
    assert lines(rev / "tok/valid.en") == spm_encode(model, raw_en)
    # The raw references are untouched, and without the flag nothing is reversed.
    assert raw_de == lines(m30k[0] / "raw/valid.de")
    assert lines(m30k[0] / "tok/valid.de") == spm_encode(m30k[0] / "spm/de.model", raw_de)


def test_bpe_tokenizer(tmp_path, data_dir):
    out = tmp_path / "out"
    prepare("multi30k", "--src", "en", "--tgt", "fr", "--raw-dir", data_dir / "multi30k",
            "--out", out, "--tokenizer", "bpe", "--train-limit", "1000", "--vocab-size", "800")
    m = manifest(out)
    assert m["tokenizer"] == "bpe" and m["post_process"] == "subword_nmt"
    assert m["subword_models"] == {"en": "bpe/codes.en", "fr": "bpe/codes.fr"}
    assert (out / "bin/train.en-fr.fr.bin").is_file()
    tok, raw = lines(out / "tok/valid.fr"), lines(out / "raw/valid.fr")
    assert any("@@ " in t for t in tok)
    assert [t.replace("@@ ", "") for t in tok] == raw


def test_refuses_to_overwrite_without_force(m30k, data_dir):
    out, _ = m30k
    before = (out / "bin/dict.de.txt").stat().st_mtime_ns
    proc = prepare("multi30k", "--raw-dir", data_dir / "multi30k", "--out", out, *SMALL,
                   check=False)
    assert_one_line_error(proc, "--force", str(out / "bin"))
    assert (out / "bin/dict.de.txt").stat().st_mtime_ns == before


def test_force_overwrites(tmp_path, data_dir):
    out = tmp_path / "out"
    prepare("jfleg", "--raw-dir", data_dir / "jfleg", "--out", out)
    (out / "raw/dev.src").write_text("stale\n")
    assert_one_line_error(prepare("jfleg", "--raw-dir", data_dir / "jfleg", "--out", out,
                                  check=False), "--force")
    prepare("jfleg", "--raw-dir", data_dir / "jfleg", "--out", out, "--force")
    assert len(lines(out / "raw/dev.src")) == 754


# --- anki -------------------------------------------------------------------------------

def test_anki_split_sizes_and_disjoint(tmp_path, data_dir):
    out = tmp_path / "out"
    prepare("anki", "--src", "en", "--tgt", "fr", "--raw-dir", data_dir / "anki-fra-eng",
            "--out", out, "--valid-size", "300", "--test-size", "400", "--train-limit", "1500",
            "--vocab-size", "500")
    m = manifest(out)
    assert m["counts"]["all"]["read"] == 76036
    sizes = {s: len(lines(out / f"raw/{s}.en")) for s in ("train", "valid", "test")}
    assert sizes == {"train": 1500, "valid": 300, "test": 400}
    assert all(len(lines(out / f"raw/{s}.fr")) == n for s, n in sizes.items())
    assert (out / "bin/test.en-fr.fr.bin").is_file()
    # No sentence (either side) of an evaluation set is seen in training.
    for lang in ("en", "fr"):
        train = set(lines(out / f"raw/train.{lang}"))
        valid, test = set(lines(out / f"raw/valid.{lang}")), set(lines(out / f"raw/test.{lang}"))
        assert not (train & valid) and not (train & test) and not (valid & test)


def test_anki_split_deterministic_in_both_directions(data_dir):
    folder = data_dir / "anki-fra-eng"

    def split(src, tgt, seed):
        pairs, _ = corpora.load_anki(src, tgt, folder)
        pool = clean_pairs(pairs, SplitStats())
        parts = carve(pool, {"test": 1000, "valid": 1000}, seed)
        return {name: [p[0] for p in part] for name, part in parts.items()}

    first = split("en", "fr", 1)
    assert {k: len(v) for k, v in first.items()} == {"train": 74036, "valid": 1000, "test": 1000}
    assert split("en", "fr", 1) == first
    assert split("fr", "en", 1) == first          # same pairs whatever the direction
    assert split("en", "fr", 2)["test"] != first["test"]


# --- jfleg ------------------------------------------------------------------------------

def test_jfleg_plain_text_with_four_refs(tmp_path, data_dir, m30k):
    out = tmp_path / "out"
    prepare("jfleg", "--raw-dir", data_dir / "jfleg", "--out", out,
            "--spm-model", m30k[0] / "spm/en.model")
    for split, n in (("dev", 754), ("test", 747)):
        for name in ("src", "ref0", "ref1", "ref2", "ref3"):
            assert len(lines(out / f"raw/{split}.{name}")) == n, (split, name)
        assert len(lines(out / f"tok/{split}.src")) == n
    src = lines(out / "raw/dev.src")
    assert src[1] == "For not use car ."            # trailing space of the original removed
    m = manifest(out)
    assert m["corpus"] == "jfleg" and m["counts"]["test"]["kept"] == 747
    assert m["raw"]["test"]["ref3"] == "raw/test.ref3" and m["data_bin"] is None

    spell = tmp_path / "spell"
    prepare("jfleg", "--raw-dir", data_dir / "jfleg", "--out", spell, "--source", "spellchecked")
    assert lines(spell / "raw/dev.src") != src
    assert lines(spell / "raw/dev.ref0") == lines(out / "raw/dev.ref0")

    # JFLEG's spellchecked test file is all lowercase; -cased gives it the learner's case
    cased = tmp_path / "cased"
    prepare("jfleg", "--raw-dir", data_dir / "jfleg", "--out", cased, "--source",
            "spellchecked-cased")
    spelled, recased = lines(spell / "raw/test.src"), lines(cased / "raw/test.src")
    assert not any(s != s.lower() for s in spelled)
    assert [r.lower() for r in recased] == spelled                  # only case changes
    assert sum(r != r.lower() for r in recased) > 600
    assert recased[0].startswith("New and new technology")
    assert lines(cased / "raw/test.ref2") == lines(out / "raw/test.ref2")
    assert manifest(cased)["source"] == "spellchecked-cased"


# --- download ---------------------------------------------------------------------------

def test_download_from_file_url(tmp_path, data_dir, monkeypatch):
    # An empty SEQ2SEQ_DATA_DIR counts as unset: the files must come through the URL.
    env = {"SEQ2SEQ_CACHE_DIR": str(tmp_path / "cache"), "SEQ2SEQ_DATA_DIR": ""}
    out = tmp_path / "out"
    proc = prepare("jfleg", "--out", out, "--base-url", data_dir.resolve().as_uri(),
                   env=env)
    cached = tmp_path / "cache" / "jfleg"
    assert (cached / "test.ref3").read_bytes() == (data_dir / "jfleg/test.ref3").read_bytes()
    assert len(lines(out / "raw/test.src")) == 747, proc.stdout

    # The multi30k mirror layout, through the same download code (in this process: a
    # SEQ2SEQ_DATA_DIR of the test run must not serve the files instead)
    monkeypatch.setenv("SEQ2SEQ_DATA_DIR", "")
    folder = corpora.data_folder("multi30k", base_url=data_dir.resolve().as_uri(),
                                 cache_dir=tmp_path / "cache2",
                                 remote_files=corpora.multi30k_remote("de", "fr"))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{s}.{lang}.gz" for s in ("train", "val", "test_2016_flickr") for lang in ("de", "fr"))

    # A mirror without the files (and an empty cache): one-line error naming the URL.
    bad = prepare("jfleg", "--out", tmp_path / "bad", "--base-url", (tmp_path / "nowhere").as_uri(),
                  "--cache-dir", tmp_path / "cache3", check=False, env=env)
    assert_one_line_error(bad, "could not download", "nowhere/jfleg/dev.src")


# --- parallel mode and bad input ----------------------------------------------------------

def _write(path, rows):
    path.write_bytes(b"".join((r if isinstance(r, bytes) else r.encode()) + b"\n" for r in rows))
    return path


def _slice(data_dir, name, n):
    with gzip.open(data_dir / "multi30k" / name, "rt", encoding="utf-8") as f:
        return [next(f).rstrip("\n") for _ in range(n)]


def test_parallel_mode_carves_valid(tmp_path, data_dir):
    src = _write(tmp_path / "train.en", _slice(data_dir, "train.en.gz", 800))
    tgt = _write(tmp_path / "train.fr", _slice(data_dir, "train.fr.gz", 800))
    out = tmp_path / "out"
    prepare("parallel", "--train-src", src, "--train-tgt", tgt, "--src-lang", "en",
            "--tgt-lang", "fr", "--valid-size", "100", "--vocab-size", "500", "--out", out)
    m = manifest(out)
    assert m["splits"] == ["train", "valid"] and m["corpus"] == "parallel"
    assert m["counts"]["all"]["read"] == 800
    assert m["counts"]["valid"]["kept"] == 100 and m["counts"]["train"]["kept"] == 700
    assert (out / "bin/valid.en-fr.en.bin").is_file()
    assert not (out / "bin/test.en-fr.en.bin").exists()
    assert not set(lines(out / "raw/valid.en")) & set(lines(out / "raw/train.en"))


def test_bad_lines_are_skipped_counted_and_reported(tmp_path, data_dir):
    en, fr = _slice(data_dir, "train.en.gz", 300), _slice(data_dir, "train.fr.gz", 300)
    long_en = " ".join(["word"] * 200)
    en[2] = "   \t "                              # empty after normalisation (line 3)
    fr[6] = ""                                    # empty target (line 7)
    en_rows = [e.encode() for e in en]
    en_rows[9] = b"caf\xe9 au lait"               # Latin-1, not UTF-8 (line 10)
    en_rows[19] = b"\xff\xfe broken"              # line 20
    en_rows[29] = long_en.encode()                # over --max-len (line 30)
    src, tgt = _write(tmp_path / "tr.en", en_rows), _write(tmp_path / "tr.fr", fr)
    vsrc = _write(tmp_path / "va.en", _slice(data_dir, "val.en.gz", 20) + [long_en])
    vtgt = _write(tmp_path / "va.fr", _slice(data_dir, "val.fr.gz", 21))
    out = tmp_path / "out"
    proc = prepare("parallel", "--train-src", src, "--train-tgt", tgt, "--valid-src", vsrc,
                   "--valid-tgt", vtgt, "--test-src", vsrc, "--test-tgt", vtgt, "--src-lang", "en",
                   "--tgt-lang", "fr", "--vocab-size", "400", "--max-len", "150", "--out", out)
    c = manifest(out)["counts"]
    assert c["train"]["read"] == 300 and c["train"]["kept"] == 295
    assert c["train"]["skipped"] == {"empty": 2, "invalid_utf8": 2, "too_long": 1}
    assert c["train"]["skipped_lines"] == {"empty": [3, 7], "invalid_utf8": [10, 20],
                                           "too_long": [30]}
    assert c["valid"]["kept"] == 21 and c["valid"]["over_max_len_kept"] == 1
    assert len(lines(out / "raw/train.en")) == len(lines(out / "tok/train.fr")) == 295
    assert len(lines(out / "raw/valid.en")) == 21            # valid is never shortened
    assert "invalid_utf8 2: lines 10, 20" in proc.stdout
    assert "too_long 1: lines 30" in proc.stdout and "empty 2: lines 3, 7" in proc.stdout


def test_mismatched_line_counts_in_corpus_folder(tmp_path, data_dir):
    raw = tmp_path / "m30k"
    raw.mkdir()
    for name in os.listdir(data_dir / "multi30k"):
        (raw / name).symlink_to(data_dir / "multi30k" / name)
    (raw / "val.en.gz").unlink()
    with gzip.open(raw / "val.en.gz", "wt", encoding="utf-8") as f:
        f.write("only one line\n")
    proc = prepare("multi30k", "--raw-dir", raw, "--out", tmp_path / "out", check=False)
    assert_one_line_error(proc, "val.de.gz has 1014 lines but", "val.en.gz has 1")


def test_missing_and_empty_folders_and_files(tmp_path, data_dir):
    missing = prepare("multi30k", "--raw-dir", tmp_path / "nope", "--out", tmp_path / "o",
                      check=False)
    assert_one_line_error(missing, str(tmp_path / "nope"), "does not exist")

    (tmp_path / "empty").mkdir()
    empty = prepare("anki", "--raw-dir", tmp_path / "empty", "--out", tmp_path / "o", check=False)
    assert_one_line_error(empty, str(tmp_path / "empty"), "is empty")

    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "train.de.gz").symlink_to(data_dir / "multi30k" / "train.de.gz")
    nofile = prepare("multi30k", "--raw-dir", partial, "--out", tmp_path / "o", check=False)
    assert_one_line_error(nofile, "missing corpus file", "train.en.gz")

    env_dir = prepare("jfleg", "--out", tmp_path / "o", check=False,
                      env={"SEQ2SEQ_DATA_DIR": str(tmp_path / "empty")})
    assert_one_line_error(env_dir, str(tmp_path / "empty" / "jfleg"), "SEQ2SEQ_DATA_DIR")

    nofile2 = prepare("parallel", "--train-src", tmp_path / "x.de", "--train-tgt",
                      tmp_path / "x.en", "--src-lang", "de", "--tgt-lang", "en",
                      "--out", tmp_path / "o", check=False)
    assert_one_line_error(nofile2, "missing corpus file", "x.de")


# --- qa: a CoQA-format fixture through prepare, fairseq-train and fairseq-generate -----------

def _coqa_file(path, names):
    """A CoQA v1.0 file: one story per name, 3 turns each, the last answered ``unknown``."""
    data = []
    for i, name in enumerate(names):
        story = f"{name} has a red cat. The cat sleeps in the garden. {name} is {i + 20}."
        turns = [("What does {} have?", "a red cat"), ("Where does the cat sleep?", "garden"),
                 ("Is the cat happy?", "unknown")]
        questions, answers = [], []
        for turn, (question, answer) in enumerate(turns, start=1):
            start = story.find(answer)
            questions.append({"input_text": question.format(name), "turn_id": turn})
            answers.append({"input_text": answer, "span_text": answer, "turn_id": turn,
                            "span_start": start, "span_end": start + len(answer) if start >= 0
                            else -1})
        data.append({"source": "mctest", "id": f"story{i}", "filename": f"{name}.txt",
                     "story": story, "questions": questions, "answers": answers})
    path.write_text(json.dumps({"version": "1.0", "data": data}), encoding="utf-8")
    return path


def test_qa_end_to_end(tmp_path):
    """prepare qa (CoQA, official dev file as test) -> rnn_bahdanau, 16 units -> generate."""
    names = ["Anna", "Ben", "Carla", "David", "Emma", "Felix", "Greta", "Hugo"]
    train = _coqa_file(tmp_path / "coqa-train-v1.0.json", names[:6])
    dev = _coqa_file(tmp_path / "coqa-dev-v1.0.json", names[6:])
    out = tmp_path / "out"
    proc = prepare("qa", "--format", "coqa", "--input", train, dev, "--out", out,
                   "--valid-size", "2", "--vocab-size", "60", "--joint", "--joined-dictionary")
    m = manifest(out)
    assert {k: (c["read"], c["kept"]) for k, c in m["counts"].items()} == \
        {"all": (18, 12), "train": (10, 10), "valid": (2, 2), "test": (6, 4)}
    assert m["counts"]["all"]["skipped"] == {"unknown": 6}
    assert "unknown 6: turns story0:3" in proc.stdout
    assert lines(out / "raw/test.src")[1] == (
        "Where does the cat sleep? <sep> <q> What does Greta have? <a> a red cat <sep> "
        "Greta has a red cat. The cat sleeps in the garden. Greta is 20.")
    for name in ("dict.src.txt", "train.src-tgt.src.bin", "valid.src-tgt.tgt.idx",
                 "test.src-tgt.src.bin"):
        assert (out / "bin" / name).is_file(), name

    save = tmp_path / "save"
    small = ["--encoder-embed-dim", "16", "--encoder-hidden-size", "16",
             "--decoder-hidden-size", "16"]
    run(train_cmd(out / "bin", save, arch="rnn_bahdanau", updates=3, extra=small))
    gen = run([cli("fairseq-generate"), out / "bin", "--user-dir", PLUGIN_DIR, "--path",
               save / "checkpoint_last.pt", "--beam", "2", "--batch-size", "16",
               "--post-process", "sentencepiece", "--max-len-b", "5"])
    assert len([line for line in gen.stdout.splitlines() if line.startswith("H-")]) == 4
