"""``scripts/benchmark_inference.py``: its report and lexical table builder, on made-up
results and toy data (the benchmark itself trains three models: too slow for the suite).
The decoding it times is fairseq's generator with --fast-decoding, tested in
test_fast_decoding.py."""
import importlib.util
import re
import sys
from argparse import Namespace

import numpy as np

from support import SCRIPTS


def load(name):
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake(seconds, bleu, tokens, lists=None):
    beam = {"seconds": seconds, "sentences_per_s": 4 / seconds, "tokens_per_s": 12 / seconds,
            "bleu": bleu, "gleu": bleu, "tokens": tokens, "hyps": [""] * len(tokens)}
    if lists is not None:
        beam["lists"], beam["list_sizes"] = lists, [len(x) for x in lists]
    return {"5": beam, "1": dict(beam), "decode_mem_mb": 100.0}


def test_report_ends_with_the_fastest_path_line(capsys):
    bench = load("benchmark_inference")
    common = load("_bench")
    std = [[5, 6, 2], [7, 2], [8, 2], [9, 9, 2]]
    lists = [[2, 5, 6, 7, 8], [2, 5, 6, 7, 8], [2, 5, 6, 7, 8], [2, 5, 6, 7, 8]]
    results = {"fairseq lstm": fake(2.0, 30.0, std),
               "rnn_luong": fake(1.6, 31.0, std),
               "rnn_luong lean": fake(1.5, 31.0, std),
               "rnn_luong int8": fake(1.0, 30.9, std[:3] + [[9, 2]]),
               "rnn_luong shortlist": fake(0.8, 31.0, std[:3] + [[5, 2]], lists),
               "rnn_luong int8-shortlist": fake(0.5, 30.5, std[:2] + [[6, 2], [5, 2]], lists),
               "rnn_luong rnn-beam": fake(0.4, 31.0, std),
               "rnn_luong int8-rnn-beam": fake(0.45, 30.9, std),
               "rnn_luong int8-shortlist-rnn-beam": fake(0.6, 30.5, std, lists)}
    # the floor: 4 sentences' steps' products alone in 0.2 s
    results["rnn_luong rnn-beam"]["5"].update(sentences=4, floor_seconds=0.2, step_rows=40)
    for p in common.FAST_PATHS:
        results[common.path_name("rnn_gec", p)] = fake(1.0, 50.0, std, lists if "short" in p
                                                      else None)
    opts = Namespace(beam=5, threads=2, gen_batch=64)
    s = dict(embed="8", hidden="8", dec_hidden="16", updates=1, gec_updates=1,
             max_tokens=10, test_sentences=4, repeats=1)
    report = bench.inference_report(opts, s, results, [5, 1], 0.1)
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == ("fastest path: rnn_luong rnn-beam 5.00x fairseq lstm "
                       "sentences/s, BLEU +0.00 vs standard path")
    assert report["fastest"]["name"] == "rnn_luong rnn-beam"
    assert ("floor (40 rows: the step's dense products alone, fp32): 20.0 sent/s, 10.00x "
            "fairseq lstm; rnn_luong rnn-beam runs at 50% of it") in out
    # same-as-standard counts, and among the sentences whose standard output is in the
    # list (3 of 4: 9 is not), how many came out the same
    row = next(line for line in out if line.startswith("| rnn_luong int8-shortlist |"))
    assert "| 2/4 (2/3 in list) | 5 |" in row
    assert re.search(r"\| rnn_luong \| 2\.5 \| 1\.25 \|", "\n".join(out))


def test_cooccurrence_table_ranks_by_dice():
    shortlist = load("build_shortlist")
    # source 1 always with target 5; target 4 is everywhere (frequent), 6 with source 2
    src = [np.array([1, 2]), np.array([1]), np.array([2]), np.array([1, 3])]
    tgt = [np.array([4, 5, 6]), np.array([4, 5]), np.array([4, 6]), np.array([4, 5])]
    table = shortlist.cooccurrence_table(src, tgt, 4, 7, per_source=2, min_count=1)
    assert table[1] == [5, 4]          # dice 1.0 before 0.86
    assert table[2] == [6, 4]
    assert table[3] == [5, 4]          # 0.5 before 0.4


def test_training_benchmark_gives_copy_and_coverage_against_rnn_luong(capsys):
    """benchmark.py's line for what copy attention and coverage cost (made-up results)."""
    bench = load("benchmark")

    def result(system, train, gen, mem):
        return {"system": system, "train_tokens_per_s": train, "gen_tokens_per_s": gen,
                "peak_mem_mb": mem}

    bench.print_against_luong([result("rnn_luong --input-feeding 1", 1000.0, 400.0, 500.0),
                               result("rnn_luong copy", 800.0, 300.0, 600.0),
                               result("rnn_luong coverage", 900.0, None, 500.0)])
    assert capsys.readouterr().out.splitlines() == [
        "rnn_luong copy against rnn_luong --input-feeding 1: training 0.80x, generation "
        "0.75x, peak memory 1.20x",
        "rnn_luong coverage against rnn_luong --input-feeding 1: training 0.90x, peak memory "
        "1.00x"]
    bench.print_against_luong([result("rnn_luong copy", 800.0, 300.0, 600.0)])
    assert capsys.readouterr().out == ""


def test_marian_is_skipped_in_one_line_when_pymarian_cannot_be_installed(tmp_path, capsys):
    """No test installs pymarian: a venv that cannot be created (its folder would be under a
    file) gives the reason, and the report's Marian row is that one line."""
    bench = load("benchmark_inference")
    marian = load("_bench_marian")
    (tmp_path / "a-file").write_text("")
    python, reason = marian.pymarian_python(tmp_path / "a-file" / "venv")
    assert python is None and reason.startswith("cannot create")
    out = marian.run_marian(tmp_path / "a-file" / "venv", tmp_path, tmp_path, {}, [5], 0, 1,
                            64, 1)
    assert out == {"skipped": reason}
    assert bench.marian_report(out, {}, 5, 1.0) == {}
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [f"marian: skipped ({reason})"] and "\n" not in reason


def test_marian_rows_give_each_path_against_marians_int8(capsys):
    bench = load("benchmark_inference")
    marian = {"train": {"tok_per_s": 1500.0, "updates": 150},
              "fp32": {"5": {"sentences_per_s": 40.0, "bleu": 20.0}},
              "int8": {"5": {"sentences_per_s": 50.0, "bleu": 19.5}}}
    results = {"rnn_luong rnn-beam": {"5": {"sentences_per_s": 150.0, "bleu": 22.0}}}
    report = bench.marian_report(marian, results, 5, 100.0)
    out = capsys.readouterr().out
    assert "| marian s2s | 40.0 | 0.40 | 0.80 | 20.00 |" in out
    assert "| rnn_luong rnn-beam | 150.0 | 1.50 | 3.00 | 22.00 |" in out
    assert report["int8"] == 50.0 and report["train_tok_per_s"] == 1500.0
