# Sourced by run_main.sh, recipe_mt.sh and recipe_gec.sh: fairseq's configuration dump
# and the hydra/torch warnings, INFO and DEBUG lines of its tools go to a log file, not
# the terminal, unless the step fails.
#
#   quiet LOG CMD [ARG...]        run CMD (a command or function) with its stderr appended
#                                 to LOG; its stdout stays where it was
#   PIPELINE || failed LOG        for a step that writes LOG itself (fairseq-train | tee LOG)
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
