"""scripts/_steps.sh, the helper run_main.sh and the recipes source: a step's third-party
output goes to its log, and a failing step shows its error and the log's path on the
terminal and stops the script with a non-zero status. Plain shell commands stand in for
fairseq's tools, so this needs neither data nor a model."""
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# stands in for a fairseq tool: a result on stdout, a warning on stderr, exit status RC
NOISY = "sh -c 'echo result; echo UserWarning: noise >&2; exit {rc}'"


def steps(tmp_path, body):
    """Run BODY in bash as the scripts do (set -euo pipefail, the helper sourced), with
    $LOG a log file in tmp_path; 'done' is echoed if BODY did not stop the script."""
    script = f"set -euo pipefail\nsource scripts/_steps.sh\n{body}\necho done\n"
    return subprocess.run(["bash", "-c", script], cwd=REPO, timeout=60, text=True,
                          env=dict(os.environ, LOG=str(tmp_path / "step.log")),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_step_that_succeeds_shows_its_stdout_and_logs_its_noise(tmp_path):
    ok = NOISY.format(rc=0)
    proc = steps(tmp_path, f'quiet "$LOG" {ok}\n'
                           f'{ok} 2>&1 | tee -a "$LOG" | grep result || failed "$LOG"')
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "result\nresult\ndone\n", "")
    assert (tmp_path / "step.log").read_text().count("UserWarning: noise") == 2


def assert_failed(proc, rc, log):
    """The error, the end of the log and its path on stderr; nothing after the step ran."""
    assert proc.returncode == rc, proc.stderr
    assert "done" not in proc.stdout
    assert f"exit status {rc}" in proc.stderr
    assert "UserWarning: noise" in proc.stderr  # the end of the log
    assert f"whole log: {log}" in proc.stderr


def test_a_failing_command_shows_its_error_and_log_and_stops_the_script(tmp_path):
    proc = steps(tmp_path, f'quiet "$LOG" {NOISY.format(rc=3)} > {tmp_path}/out.txt')
    assert_failed(proc, 3, tmp_path / "step.log")
    assert (tmp_path / "out.txt").read_text() == "result\n"  # stdout went where it was sent


def test_a_failing_command_inside_a_pipeline_stops_the_script(tmp_path):
    # as run_main.sh runs fairseq-interactive: the status reaches the script via pipefail
    proc = steps(tmp_path, f'echo in | quiet "$LOG" {NOISY.format(rc=4)} | grep nothing | cat')
    assert proc.returncode != 0 and "done" not in proc.stdout
    assert "exit status 4" in proc.stderr and f"whole log: {tmp_path}/step.log" in proc.stderr


def test_a_failing_pipeline_that_writes_its_own_log_shows_it(tmp_path):
    # as the scripts train: fairseq-train 2>&1 | tee train.log | grep PROGRESS || failed LOG
    proc = steps(tmp_path, f'{NOISY.format(rc=5)} 2>&1 | tee "$LOG" | grep result || failed "$LOG"')
    assert_failed(proc, 5, tmp_path / "step.log")
    assert proc.stdout == "result\n"
