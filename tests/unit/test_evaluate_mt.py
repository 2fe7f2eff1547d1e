"""scripts/evaluate_mt.py on hand-written hypotheses and references, against sacreBLEU's CLI.

The same script on a real fairseq-generate run is in tests/integration/test_scripts.py.
"""
import json
import re

from support import assert_one_line_error, sacrebleu_cli, script, write_lines


REFS = ["The cat sat on the mat.", "A man is riding a bike!", "Two dogs play in the snow."]
HYPS = ["the cat sat on the mat.", "A man rides a bike!", "Two dogs play in snow."]


def test_evaluate_mt_hyp_ref_matches_sacrebleu(tmp_path):
    ref = write_lines(tmp_path / "ref", REFS)
    hyp = write_lines(tmp_path / "hyp", HYPS)
    proc = script("evaluate_mt.py", "--hyp", hyp, "--ref", ref, check=True)
    scores = dict(re.findall(r"^(sacreBLEU|BLEU\(lc,tok\)) ([\d.]+)$", proc.stdout, re.M))
    assert float(scores["sacreBLEU"]) == sacrebleu_cli(ref, hyp)
    assert float(scores["BLEU(lc,tok)"]) == sacrebleu_cli(ref, hyp, "-lc")
    assert float(scores["BLEU(lc,tok)"]) > float(scores["sacreBLEU"])  # "the" vs "The"
    assert "sacreBLEU signature nrefs:1|case:mixed|eff:no|tok:13a" in proc.stdout
    assert "BLEU(lc,tok) signature nrefs:1|case:lc|eff:no|tok:13a" in proc.stdout

    result = json.loads(script("evaluate_mt.py", "--hyp", hyp, "--ref", ref, "--json",
                               check=True).stdout)
    assert result["sentences"] == 3 and result["sacrebleu"] == float(scores["sacreBLEU"])


def test_evaluate_mt_line_count_mismatch(tmp_path):
    ref = write_lines(tmp_path / "ref", REFS)
    hyp = write_lines(tmp_path / "hyp", HYPS[:2])
    assert_one_line_error(script("evaluate_mt.py", "--hyp", hyp, "--ref", ref),
                          "line count mismatch", "2 hypotheses", "3 references")


def test_evaluate_mt_refs_by_source(tmp_path):
    """Two test pairs share a source: with --refs-by-source each hypothesis is scored
    against both translations, so swapped (but correct) outputs score 100, not less."""
    src = write_lines(tmp_path / "src", ["He left.", "He left.", "Hello there."])
    ref = write_lines(tmp_path / "ref", ["Il est parti.", "Il s'en est allé.", "Bonjour à vous."])
    hyp = write_lines(tmp_path / "hyp", ["Il s'en est allé.", "Il est parti.", "Bonjour à vous."])
    single = json.loads(script("evaluate_mt.py", "--hyp", hyp, "--ref", ref, "--json",
                               check=True).stdout)
    proc = script("evaluate_mt.py", "--hyp", hyp, "--ref", ref, "--refs-by-source", src,
                  "--json", check=True)
    multi = json.loads(proc.stdout)
    assert single["sacrebleu"] < 60 and multi["sacrebleu"] == 100.0
    assert multi["bleu_lc_tok"] == 100.0 and "nrefs:var" in multi["sacrebleu_signature"]
    assert "2 distinct sources for 3 sentences, up to 2 references" in proc.stderr
    assert_one_line_error(script("evaluate_mt.py", "--hyp", hyp, "--ref", ref,
                                 "--refs-by-source", write_lines(tmp_path / "s2", ["a"])),
                          "line count mismatch", "1 sources")
    assert_one_line_error(script("evaluate_mt.py", "--hyp", hyp, "--ref", ref, "--refs-by-source",
                                 write_lines(tmp_path / "s3", ["He left.", "", "  "])),
                          "line 2 is empty")
    assert_one_line_error(script("evaluate_mt.py", "--hyp", hyp, "--ref", ref, "--refs-by-source",
                                 tmp_path / "missing"), "source file", "not found")


def generate_output(hyps, refs):
    """A fairseq-generate stdout in batch (not id) order, with --nbest 2 for id 2."""
    return [
        "2024-01-01 | INFO | fairseq_cli.generate | loading model",
        "S-2\tx", f"T-2\t{refs[2]}", f"H-2\t-0.1\t{hyps[2]}", f"D-2\t-0.1\t{hyps[2]}",
        "H-2\t-0.9\twrong", "D-2\t-0.9\twrong", "S-0\tx", f"T-0\t{refs[0]}",
        f"D-0\t-0.2\t{hyps[0]}", f"T-1\t{refs[1]}", f"D-1\t-0.3\t{hyps[1]}", "P-1\t-0.1 -0.2",
        "Generate test with beam=5: BLEU4 = 100.00",
    ]


def test_evaluate_mt_generate_output_order_and_nbest(tmp_path):
    """D- lines come out of fairseq-generate in batch order: they must be re-sorted by id
    and only the first (best) of an --nbest list kept; T- lines are the default refs."""
    gen = write_lines(tmp_path / "gen.out", generate_output(REFS, REFS))
    ref = write_lines(tmp_path / "ref", REFS)
    for extra in (["--ref", ref], []):
        proc = script("evaluate_mt.py", "--generate-output", gen, "--json", *extra, check=True)
        result = json.loads(proc.stdout)
        assert result["sentences"] == 3 and result["sacrebleu"] == 100.0
    assert "T- lines" in proc.stderr  # says where the references came from
    assert_one_line_error(script("evaluate_mt.py", "--generate-output", ref, "--ref", ref),
                          "no D-<id> lines")


def test_evaluate_mt_post_process_sentencepiece(tmp_path):
    """Generate output without fairseq's --post-process: --post-process sentencepiece
    applies fairseq's own detokenisation to the hypotheses before scoring."""
    pieces = ["\u2581" + " \u2581".join(r.split()) for r in REFS]
    gen = write_lines(tmp_path / "gen.out", generate_output(pieces, pieces))
    ref = write_lines(tmp_path / "ref", REFS)
    result = json.loads(script("evaluate_mt.py", "--generate-output", gen, "--ref", ref,
                               "--post-process", "sentencepiece", "--json", check=True).stdout)
    assert result["sacrebleu"] == 100.0
    result = json.loads(script("evaluate_mt.py", "--generate-output", gen, "--ref", ref,
                               "--json", check=True).stdout)
    assert result["sacrebleu"] < 50
