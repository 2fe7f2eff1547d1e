"""``--fast-decoding`` through the real CLIs, on the shared 20-update checkpoint.

fairseq-generate on the standard path, with lean (which must give the same output), and
with int8 and a lexical shortlist side by side, with the RNN's own beam search (which must
give the same output too), fairseq-interactive with int8 and with int8-shortlist-rnn-beam, the gec
task's generation with its source shortlist, and a
shortlist without its table (one line). What each technique computes is tested on toy models
in ``tests/unit/test_fast_decoding.py``; here the options must reach the generator from each
CLI and the outputs stay close. Each run spends ~5 s importing torch and fairseq, so the
runs go side by side.
"""
import re
import sys
from concurrent.futures import ThreadPoolExecutor

from support import PLUGIN_DIR, SCRIPTS, assert_cli_error, cli, run, small_test_bin


def hypotheses(out):
    """{id: (score, tokens)} from H- lines."""
    return {int(m.group(1)): (float(m.group(2)), m.group(3)) for m in
            re.finditer(r"^H-(\d+)\t(\S+)\t(.*)$", out, re.M)}


def test_fast_decoding_runs_through_generate_and_interactive(tiny_checkpoint, tmp_path):
    data, checkpoint = tiny_checkpoint
    table = tmp_path / "shortlist.tsv"
    run([sys.executable, SCRIPTS / "build_shortlist.py", "--data-bin", data / "bin",
         "--source-lang", "de", "--target-lang", "en", "--out", table])
    test_bin = small_test_bin(data)
    generate = [cli("fairseq-generate"), test_bin, "--user-dir", PLUGIN_DIR, "--path",
                checkpoint, "--beam", "5", "--max-len-b", "30", "--max-len-a", "0",
                "--batch-size", "50", "--cpu"]
    lines = "ein mann fährt fahrrad .\nzwei hunde spielen im schnee .\n"
    cmds = [
        generate,
        generate + ["--fast-decoding", "int8-shortlist", "--shortlist", table,
                    "--shortlist-frequent", "300"],
        # the gec task's generation: no table, the source's tokens are in the list
        generate + ["--task", "gec", "--fast-decoding", "shortlist", "--source-lang", "de",
                    "--target-lang", "en"],
        [cli("fairseq-interactive"), data / "bin", "--user-dir", PLUGIN_DIR, "--path",
         checkpoint, "--beam", "5", "--cpu", "--fast-decoding", "int8"],
        generate + ["--fast-decoding", "shortlist"],
        generate + ["--fast-decoding", "lean"],
        # the RNN's own beam search: exact in fairseq-generate, with int8 and the list in
        # fairseq-interactive
        generate + ["--fast-decoding", "rnn-beam"],
        [cli("fairseq-interactive"), data / "bin", "--user-dir", PLUGIN_DIR, "--path",
         checkpoint, "--beam", "5", "--cpu", "--fast-decoding", "int8-shortlist-rnn-beam",
         "--shortlist", table, "--shortlist-frequent", "300"],
    ]
    with ThreadPoolExecutor(len(cmds)) as pool:
        procs = list(pool.map(lambda c: run(c, check=False, input=lines), cmds))
    for proc in procs[:4]:
        assert proc.returncode == 0, proc.stderr[-3000:]
    standard, fast, gec = (hypotheses(p.stdout) for p in procs[:3])
    assert len(standard) == len(fast) == len(gec) == 100
    # the decoder runs the plugin's fast step: the log says which mode and list
    assert "--fast-decoding int8-shortlist (list: 304 frequent and special tokens, the " \
           "lexical table)" in procs[1].stderr
    assert "the source tokens" in procs[2].stderr
    same = sum(fast[i][1] == standard[i][1] for i in standard)
    same_gec = sum(gec[i][1] == standard[i][1] for i in standard)
    assert same >= 50 and same_gec >= 50, (same, same_gec)
    # a sentence both give has (to int8's rounding) the score the standard path gives it
    for i in standard:
        if fast[i][1] == standard[i][1]:
            assert abs(fast[i][0] - standard[i][0]) < 0.05
        if gec[i][1] == standard[i][1]:
            assert abs(gec[i][0] - standard[i][0]) < 1e-3
    assert len(hypotheses(procs[3].stdout)) == 2, procs[3].stdout
    assert_cli_error(procs[4], "--fast-decoding shortlist needs a lexical table",
                          "scripts/build_shortlist.py")
    # lean is exact: every sentence and score of the standard path
    assert procs[5].returncode == 0, procs[5].stderr[-3000:]
    lean = hypotheses(procs[5].stdout)
    assert lean.keys() == standard.keys()
    for i in standard:
        assert lean[i][1] == standard[i][1]
        assert abs(lean[i][0] - standard[i][0]) < 1e-4
    # so is rnn-beam, the RNN's own beam search
    for proc in procs[6:]:
        assert proc.returncode == 0, proc.stderr[-3000:]
    own = hypotheses(procs[6].stdout)
    assert own.keys() == standard.keys()
    for i in standard:
        assert own[i][1] == standard[i][1]
        assert abs(own[i][0] - standard[i][0]) < 1e-4
    assert "--fast-decoding int8-shortlist-rnn-beam (list: 304" in procs[7].stderr
    assert len(hypotheses(procs[7].stdout)) == 2, procs[7].stdout
