#!/usr/bin/env bash
# The test suite, from a fresh machine: install if needed, then pytest on small slices of
# the real corpora (../shared/data, or SEQ2SEQ_DATA_DIR). About 12 minutes on 2 CPU cores.
#
#   bash scripts/run_tests.sh [pytest arguments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh
VENV="${VENV:-$ROOT/.venv}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec "$VENV/bin/python" -m pytest tests -q -p no:cacheprovider --durations=15 "$@"
