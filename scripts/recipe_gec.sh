#!/usr/bin/env bash
# GEC recipe: build synthetic + JFLEG-dev training data, train rnn_gec on CPU (budget
# TRAIN_HOURS, default 0.75), keep the checkpoint with the best JFLEG dev GLEU, and score
# JFLEG test with GLEU beside its two baselines.
#
#   bash scripts/recipe_gec.sh
#
# Environment: SEQ2SEQ_DATA_DIR (default ../shared/data), RUN_DIR (default runs/gec),
#              TRAIN_HOURS, JFLEG_DEV_COPIES (JFLEG dev pairs in training, default 2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh
export PATH="${VENV:-$ROOT/.venv}/bin:$PATH" OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
DATA_DIR="${SEQ2SEQ_DATA_DIR:-$ROOT/../shared/data}"
RUN_DIR="${RUN_DIR:-$ROOT/runs/gec}"
mkdir -p "$RUN_DIR"

if [ ! -f "$RUN_DIR/data/gec_data.json" ]; then
  python -m preprocess.gec_data --out "$RUN_DIR/data" \
    --multi30k-dir "$DATA_DIR/multi30k" --anki-file "$DATA_DIR/anki-fra-eng/fra-eng.tsv.gz" \
    --jfleg-dir "$DATA_DIR/jfleg" --jfleg-dev-copies "${JFLEG_DEV_COPIES:-2}" \
    --noise-copies 1 --vocab-size 8000
fi

start=$(date +%s)
fairseq-hydra-train --config-dir fairseq_plugins/config --config-name gec_rnn \
  task.data="$RUN_DIR/data/bin" checkpoint.save_dir="$RUN_DIR/checkpoints" \
  optimization.stop_time_hours="${TRAIN_HOURS:-0.75}" 2>&1 | tee "$RUN_DIR/train.log" |
  grep -E "valid on|done training"
echo "training took $(( ($(date +%s) - start) / 60 )) minutes"

fairseq-interactive "$RUN_DIR/data/bin" --user-dir fairseq_plugins --task gec \
  --source-lang err --target-lang cor --path "$RUN_DIR/checkpoints/checkpoint_best.pt" \
  --bpe sentencepiece --sentencepiece-model "$RUN_DIR/data/spm/joint.model" \
  --beam 5 --max-len-a 1.1 --max-len-b 10 --buffer-size 64 --batch-size 64 \
  --input "$DATA_DIR/jfleg/test.src" > "$RUN_DIR/jfleg-test.out" 2> "$RUN_DIR/interactive.log"
python scripts/evaluate_gec.py --jfleg-dir "$DATA_DIR/jfleg" --split test \
  --hyp "$RUN_DIR/jfleg-test.out" | tee "$RUN_DIR/jfleg-test.gleu"
