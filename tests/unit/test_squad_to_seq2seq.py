"""scripts/squad_to_seq2seq.py on a five-question SQuAD file (tests/data/squad_small.json)."""
import json
import re
from pathlib import Path

from support import REPO, assert_one_line_error, script

SQUAD = REPO / "tests" / "data" / "squad_small.json"


def convert_squad(tmp_path, *args, source=SQUAD):
    prefix = tmp_path / "out" / "squad"
    proc = script("squad_to_seq2seq.py", "--input", source, "--out-prefix", prefix, *args)
    if proc.returncode != 0:
        return proc, None, None
    src = Path(f"{prefix}.src").read_text(encoding="utf-8").splitlines()
    tgt = Path(f"{prefix}.tgt").read_text(encoding="utf-8").splitlines()
    return proc, src, tgt


def counts(proc):
    return {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", proc.stdout, re.M)}


def test_squad_v2_default_skips_unanswerable(tmp_path):
    proc, src, tgt = convert_squad(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert counts(proc)["questions"] == 5 and counts(proc)["skipped_unanswerable"] == 2
    assert tgt == ["the Swiss canton of Graubunden", "the North Sea", "hot water"]
    assert src[0].startswith("Where does the Rhine begin? <sep> The Rhine is a European river")
    # the tab in the question and the newline in the context are flattened
    assert src[2] == ("What is poured over the leaves? <sep> Tea is an aromatic beverage "
                      "prepared by pouring hot water over cured leaves of Camellia sinensis.")


def test_squad_keep_unanswerable_and_custom_tokens(tmp_path):
    proc, src, tgt = convert_squad(tmp_path, "--keep-unanswerable", "--no-answer-token", "NONE",
                                   "--sep", "|||")
    assert proc.returncode == 0, proc.stderr
    assert len(src) == len(tgt) == 5 and counts(proc)["skipped_unanswerable"] == 0
    assert tgt.count("NONE") == 2 and tgt[2] == "NONE"
    assert src[2].startswith("How many bridges cross the Rhine? ||| The Rhine")
    _, _, tgt = convert_squad(tmp_path, "--keep-unanswerable")
    assert tgt.count("<no_answer>") == 2


def test_squad_context_window_keeps_answer(tmp_path):
    proc, src, tgt = convert_squad(tmp_path, "--context-window", "6")
    assert proc.returncode == 0, proc.stderr
    for line, answer in zip(src, tgt):
        context = line.split(" <sep> ", 1)[1]
        assert len(context.split()) <= 6 and answer in context
    assert src[1].endswith("<sep> into the North Sea in the")  # centred, not the head
    assert counts(proc)["truncated_contexts"] == 3
    _, wide, _ = convert_squad(tmp_path, "--context-window", "1000")
    _, full, _ = convert_squad(tmp_path)
    assert wide == full


def test_squad_v1_and_wrong_answer_start(tmp_path):
    """v1.1 has no is_impossible; a stale answer_start falls back to finding the text."""
    squad = json.loads(SQUAD.read_text(encoding="utf-8"))
    squad["version"] = "1.1"
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            paragraph["qas"] = [qa for qa in paragraph["qas"] if not qa.pop("is_impossible")]
    squad["data"][0]["paragraphs"][0]["qas"][1]["answers"][0]["answer_start"] = 3
    v1 = tmp_path / "v1.json"
    v1.write_text(json.dumps(squad), encoding="utf-8")
    proc, src, tgt = convert_squad(tmp_path, "--context-window", "5", source=v1)
    assert proc.returncode == 0, proc.stderr
    assert tgt == ["the Swiss canton of Graubunden", "the North Sea", "hot water"]
    assert "the North Sea" in src[1] and counts(proc)["unanswerable"] == 0


def test_squad_malformed_inputs(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [', encoding="utf-8")
    assert_one_line_error(convert_squad(tmp_path, source=broken)[0], "not valid JSON")

    squad = json.loads(SQUAD.read_text(encoding="utf-8"))
    del squad["data"][1]["paragraphs"][0]["qas"][0]["question"]
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps(squad), encoding="utf-8")
    assert_one_line_error(convert_squad(tmp_path, source=missing)[0],
                          "data[1].paragraphs[0].qas[0]", "'question'")

    missing.write_text(json.dumps({"version": "v2.0"}), encoding="utf-8")
    assert_one_line_error(convert_squad(tmp_path, source=missing)[0], "missing key 'data'")
    assert not (tmp_path / "out").exists()
