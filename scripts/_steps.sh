# Sourced by run_main.sh and the recipes: fairseq's configuration dump and the
# hydra/torch warnings, INFO and DEBUG lines of its tools go to a log file, not the
# terminal, unless the step fails; a long step shows one progress line instead.
#
#   quiet LOG CMD [ARG...]        run CMD (a command or function) with its stderr appended
#                                 to LOG; its stdout stays where it was
#   PIPELINE || failed LOG        for a step that writes LOG itself (fairseq-train | tee LOG)
#   ... | progress train          one line for a training: updates, time elapsed and left
#                                 of the budget, training loss, best validation loss
#   ... | progress decode --total N --out FILE [--label TEXT]
#                                 sentences done of N; the decoder's output goes to FILE
#
# The progress line (scripts/_progress.py) is redrawn in place on a terminal and printed
# as a new line every 30 s otherwise (SEQ2SEQ_PROGRESS_SECONDS); its last state stays as
# the step's summary line, and SEQ2SEQ_QUIET=1 leaves only that line.
#
# A failed step prints its exit status, the last lines of LOG and LOG's path on stderr,
# and exits with that status (from a pipeline's subshell, set -o pipefail passes it on).

failed() {  # LOG; call it right after the failed command, whose status $? still is
  local rc=$?
  {
    echo "error: the step failed (exit status $rc); the last lines of $1:"
    tail -n 20 "$1" | sed 's/^/  | /'
    echo "error: whole log: $1"
  } >&2
  exit $(( rc == 0 ? 1 : rc ))
}

quiet() {  # LOG CMD [ARG...]
  local log=$1
  shift
  "$@" 2>> "$log" || failed "$log"
}

_STEPS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

progress() {  # train | decode --total N --out FILE [--label TEXT]: reads the step's output
  python "$_STEPS_DIR/_progress.py" "$@"
}
