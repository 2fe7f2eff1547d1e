#!/usr/bin/env bash
# The test suite, from a fresh machine: install if needed, then pytest.
#
#   bash scripts/run_tests.sh [pytest arguments]          all of tests/ (README: how long
#                                                         on 2 CPU cores)
#   bash scripts/run_tests.sh --unit [pytest arguments]   tests/unit only: under a minute,
#                                                         toy data, no shared data needed
#
# tests/unit checks each module on small data the tests write themselves; tests/integration
# runs the real fairseq CLIs on small slices of the real corpora (../shared/data, or
# SEQ2SEQ_DATA_DIR). Other arguments go to pytest as they are (e.g. -k noise, -x).
# The test files run side by side, TEST_WORKERS at a time (default 2, pytest-xdist; each
# test's own processes use one thread); TEST_WORKERS=0 runs them one after another.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TESTS=tests
ARGS=()
for arg in "$@"; do
  if [ "$arg" = "--unit" ]; then
    TESTS=tests/unit
  else
    ARGS+=("$arg")
  fi
done
bash scripts/install.sh
VENV="${VENV:-$ROOT/.venv}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
WORKERS="${TEST_WORKERS:-2}"
PARALLEL=()
if [ "$WORKERS" != "0" ]; then
  # by file: a file's module fixtures (a trained model, a prepared corpus) are built once
  PARALLEL=(-n "$WORKERS" --dist loadfile)
fi
exec "$VENV/bin/python" -m pytest "$TESTS" -q -p no:cacheprovider --durations=15 \
  ${PARALLEL[@]+"${PARALLEL[@]}"} ${ARGS[@]+"${ARGS[@]}"}
