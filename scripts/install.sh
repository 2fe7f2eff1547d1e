#!/usr/bin/env bash
# Idempotent installer: creates a virtual environment (default ./.venv, override with
# VENV=...) holding torch, fairseq-fixed and everything the plugin needs.  Safe to run
# again: each step is skipped when what it installs already imports.
#
# fairseq-fixed is built with --no-build-isolation against the torch already installed;
# an isolated build would download the newest CUDA torch (several GB).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
PY="$VENV/bin/python"

say() { echo "[install] $*"; }

if [ ! -x "$PY" ]; then
  say "creating virtual environment $VENV"
  python3 -m venv "$VENV"
fi
PIP=("$PY" -m pip install --quiet --disable-pip-version-check)

if ! "$PY" -c "import torch" 2>/dev/null; then
  say "installing $TORCH_SPEC (build tools first: fairseq compiles against it)"
  "${PIP[@]}" "$TORCH_SPEC" numpy cython "setuptools<81" wheel
fi
if ! "$PY" -c "import fairseq, fairseq_cli" 2>/dev/null; then
  say "building fairseq-fixed==0.12.3.1 against the installed torch (about 2 minutes)"
  "${PIP[@]}" "setuptools<81" cython wheel
  "${PIP[@]}" --no-build-isolation "fairseq-fixed==0.12.3.1" "$("$PY" -c 'import torch;print("torch=="+torch.__version__.split("+")[0])')"
fi
if ! "$PY" -c "import sentencepiece, subword_nmt, sacrebleu, tensorboardX, matplotlib, pytest, xdist, gleu, ruff, starlette, uvicorn, symspellpy" 2>/dev/null; then
  say "installing tokenisers, metrics, the server, test and lint tools"
  # pytest-xdist: the suite runs its test files on every core (scripts/run_tests.sh);
  # starlette and uvicorn: python -m fairseq_plugins.serve; symspellpy: the GEC recipe's
  # spelling step and spelling noise (its shipped English dictionary)
  "${PIP[@]}" sentencepiece subword-nmt sacrebleu tensorboardX matplotlib pytest pytest-xdist gleu ruff "starlette>=0.37" "uvicorn>=0.29" "symspellpy>=6.7,<7"
fi
# checked from / so that the repository folder itself (on sys.path as the current
# directory) does not count as installed
if ! (cd / && "$PY" -c "import fairseq_plugins, preprocess" 2>/dev/null); then
  say "installing the plugin itself (editable)"
  "${PIP[@]}" --no-build-isolation --no-deps -e "$ROOT"
fi
say "ready: $VENV"
