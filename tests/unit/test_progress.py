"""scripts/_progress.py through scripts/_steps.sh's ``progress``: one line for a long step
of run_main.sh and the recipes, read from fairseq's output. Canned fairseq lines stand in
for the tools here (the real fairseq-train is in tests/integration/test_progress.py)."""
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: fairseq-hydra-train's log as recipe_gec.sh writes it (shortened): its configuration
#: first, then training and validation lines
CONFIG = ("[2026-12-06 23:24:42,805][fairseq_cli.train][INFO] - {'_name': None, 'optimization':"
          " {'_name': None, 'max_epoch': 0, 'max_update': 1500, 'stop_time_hours': 1.5}}")
TRAIN = ("[2026-12-06 23:26:26,109][train_inner][INFO] - epoch 001:    {0} / 900 loss={1}, "
         "nll_loss=9.549, ppl=749.18, num_updates={0}, lr=0.0015, wall=103")
VALID = ("[2026-12-06 23:30:14,863][valid][INFO] - epoch 001 | valid on 'valid' subset | "
         "loss {1} | nll_loss 3.345 | gleu {2} | num_updates {0}")
HYDRA_LOG = "\n".join([
    CONFIG, "[2026-12-06 23:24:44,724][fairseq.trainer][INFO] - begin training epoch 1",
    TRAIN.format(100, "10.037"), TRAIN.format(400, "3.772"), VALID.format(400, "4.745", 43.94),
    TRAIN.format(800, "2.989"), VALID.format(800, "3.213", 53.58) + " | best_gleu 53.58",
    TRAIN.format(900, "2.996"), VALID.format(900, "3.292", 51.71) + " | best_gleu 53.58",
    "[2026-12-06 23:49:27,210][fairseq_cli.train][INFO] - done training in 1482.5 seconds", ""])


def env(**extra):
    """The scripts' environment: this interpreter's folder first on PATH (``python``)."""
    base = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    base.pop("SEQ2SEQ_QUIET", None)
    base.pop("SEQ2SEQ_PROGRESS_SECONDS", None)
    return dict(base, **extra)


def steps(body, stdin="", **extra):
    """BODY run in bash as the scripts run it (set -euo pipefail, _steps.sh sourced)."""
    script = f"set -euo pipefail\nsource scripts/_steps.sh\n{body}\n"
    return subprocess.run(["bash", "-c", script], cwd=REPO, timeout=60, text=True,
                          input=stdin, env=env(**extra),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_training_progress_not_on_a_terminal_is_a_line_at_each_report():
    proc = steps("progress train", HYDRA_LOG, SEQ2SEQ_PROGRESS_SECONDS="0")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "\r" not in proc.stdout
    assert [line.split(" updates")[0] for line in lines] == [
        "training: 100/1,500", "training: 400/1,500", "training: 400/1,500",
        "training: 800/1,500", "training: 800/1,500", "training: 900/1,500",
        "training: 900/1,500", "training: 900/1,500"]
    assert "left of 1:30:00" in lines[0] and "loss 10.037 | best valid loss -" in lines[0]
    # the summary: the last loss, the lowest validation loss, the best GLEU fairseq kept
    assert lines[-1].endswith("elapsed | loss 2.996 | best valid loss 3.213 | best gleu 53.58")
    assert "left" not in lines[-1]


def held_open(seconds, **extra):
    """The watcher given the whole log, its input left open ``seconds`` more (a training
    between two reports); its stdout lines (not a terminal)."""
    with subprocess.Popen([sys.executable, REPO / "scripts" / "_progress.py", "train"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env=env(**extra)) as proc:
        proc.stdin.write(HYDRA_LOG)
        proc.stdin.flush()
        time.sleep(seconds)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    return out.splitlines()


def test_training_progress_every_interval_and_nothing_but_the_summary_when_quiet():
    lines = held_open(1.0, SEQ2SEQ_PROGRESS_SECONDS="0.05")
    assert len(lines) > 3, lines   # a line every 0.05 s, then the summary
    assert all("900/1,500 updates" in line and "left of 1:30:00" in line
               for line in lines[:-1]), lines
    quiet = held_open(1.0, SEQ2SEQ_PROGRESS_SECONDS="0.05", SEQ2SEQ_QUIET="1")
    elapsed = re.compile(r"\d+:\d\d elapsed")
    assert [elapsed.sub("", line) for line in quiet] == [elapsed.sub("", lines[-1])]


def test_training_progress_on_a_terminal_is_redrawn_in_place():
    main, other = pty.openpty()
    with subprocess.Popen([sys.executable, REPO / "scripts" / "_progress.py", "train"],
                          stdin=subprocess.PIPE, stdout=other, stderr=other, env=env()) as proc:
        os.close(other)
        proc.communicate(HYDRA_LOG.encode(), timeout=30)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:   # the terminal is closed: all read
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    text = shown.decode().replace("\r\n", "\n")   # the terminal's own line ends
    assert text.startswith("\r") and text.count("\n") == 1 and text.endswith("\n"), text
    assert "900/1,500 updates" in text.split("\r")[-1]


def test_decoding_progress_counts_sentences_and_passes_the_output_on(tmp_path):
    output = ("S-0\tein Hund\nH-0\t-0.5\ta dog\nD-0\t-0.5\ta dog\n"
              "S-1\teine Katze\nH-1\t-0.4\ta cat\n")
    proc = steps(f'printf "{output}" | progress decode --total 3 --out {tmp_path}/out.txt '
                 '--label "translating test"', SEQ2SEQ_PROGRESS_SECONDS="0")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.txt").read_text() == output
    assert [line.split(" |")[0] for line in proc.stdout.splitlines()] == [
        "translating test: 1/3 sentences", "translating test: 2/3 sentences",
        "translating test: 2/3 sentences"]


def test_a_failing_training_still_stops_the_script_with_its_log(tmp_path):
    log = tmp_path / "train.log"
    proc = steps(f"{{ echo '{HYDRA_LOG.splitlines()[2]}'; echo Traceback >&2; exit 3; }} "
                 f"2>&1 | tee {log} | progress train || failed {log}\necho after")
    assert proc.returncode == 3 and "after" not in proc.stdout
    assert proc.stdout.startswith("training: 100 updates")   # the summary of what it did
    assert "exit status 3" in proc.stderr and "Traceback" in proc.stderr
    assert f"whole log: {log}" in proc.stderr
