"""The progress line run_main.sh and the recipes show while fairseq-train runs
(scripts/_progress.py, through scripts/_steps.sh), on a real twelve-update training of a
tiny model: with the output not a terminal, a line at each report with the update count
fairseq logged; with SEQ2SEQ_QUIET=1 only the summary line. The parsing on every log form
and the terminal's in-place line are in tests/unit/test_progress.py."""
import os
import re
import shlex

import pytest

from support import BIN_DIR, REPO, run, train_cmd


def steps(body, **env):
    """BODY in bash as the scripts run it (set -euo pipefail, _steps.sh sourced)."""
    path = str(BIN_DIR) + os.pathsep + os.environ["PATH"]
    return run(["bash", "-c", f"set -euo pipefail\nsource scripts/_steps.sh\n{body}\n"],
               cwd=REPO, timeout=300, env={"PATH": path, "SEQ2SEQ_PROGRESS_SECONDS": "0", **env})


@pytest.fixture(scope="module")
def trained(m30k_bin, tmp_path_factory):
    """fairseq-train as the scripts run it, twelve updates: its log to a file, its progress
    to stdout (not a terminal); (the lines shown, the log file)."""
    tmp = tmp_path_factory.mktemp("progress")
    log = tmp / "train.log"
    cmd = shlex.join(str(c) for c in train_cmd(m30k_bin, tmp / "ckpt", updates=12,
                                               extra=["--log-interval", "4"]))
    proc = steps(f"{cmd} 2>&1 | tee {log} | progress train || failed {log}",
                 SEQ2SEQ_QUIET="")
    return proc.stdout.splitlines(), log


def summary_of(log):
    """The updates fairseq logged, its latest training loss and its best validation loss."""
    updates = [int(n) for n in re.findall(r"num_updates[= ](\d+)", log)]
    losses = re.findall(r"(?:train_inner \|.*? loss=|\| train \| epoch \d+ \| loss )([\d.]+)", log)
    valid = [float(v) for v in re.findall(r"valid on 'valid' subset \| loss ([\d.]+)", log)]
    return updates, losses[-1], min(valid)


SUMMARY = r"training: 12/12 updates \| \d+:\d\d elapsed \| loss [\d.]+ \| best valid loss [\d.]+$"


def test_a_short_training_shows_each_update_count_fairseq_logs(trained):
    lines, log = trained
    updates, last_loss, best_valid = summary_of(log.read_text())
    assert 12 in updates and re.search(r"train_inner \|.*num_updates=4,", log.read_text())
    shown = [int(re.match(r"training: (\d+)/12 updates \| ", line).group(1)) for line in lines]
    assert shown[:-1] == updates, lines   # one line a report, then the summary
    assert re.match(SUMMARY, lines[-1]), lines
    assert lines[-1].endswith(f"| loss {last_loss} | best valid loss {best_valid}"), lines


def test_quiet_shows_nothing_but_the_summary(trained):
    lines, log = trained
    proc = steps(f"progress train < {log}", SEQ2SEQ_QUIET="1")
    assert proc.stderr == "" and len(proc.stdout.splitlines()) == 1, proc.stdout
    assert re.match(SUMMARY, proc.stdout), proc.stdout
    elapsed = re.compile(r"\d+:\d\d elapsed")
    assert elapsed.sub("", proc.stdout.strip()) == elapsed.sub("", lines[-1])
