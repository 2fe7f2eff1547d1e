#!/usr/bin/env bash
# The main job, from a fresh machine: install if needed, prepare Multi30k de->en, train a
# small attention model (rnn_bahdanau) on CPU for about ten minutes, print sacreBLEU on
# test2016 and translate a sentence through fairseq-interactive.
#
#   bash scripts/run_main.sh
#
# Environment: SEQ2SEQ_DATA_DIR  folder holding multi30k/ (default ../shared/data when it
#                                exists; otherwise the corpus is downloaded)
#              RUN_DIR           where data, checkpoints and outputs go (default runs/main)
#              TRAIN_MINUTES     training budget in minutes (default 10)
#              SEQ2SEQ_QUIET=1   no progress lines, only each step's summary (scripts/_steps.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/_steps.sh
bash scripts/install.sh
VENV="${VENV:-$ROOT/.venv}"
export PATH="$VENV/bin:$PATH" OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
RUN_DIR="${RUN_DIR:-$ROOT/runs/main}"
TRAIN_MINUTES="${TRAIN_MINUTES:-10}"
DATA="$RUN_DIR/multi30k-de-en"
CKPT="$RUN_DIR/checkpoints"
mkdir -p "$RUN_DIR"
rm -f "$RUN_DIR/generate.log" "$RUN_DIR/interactive.log"  # each run's own

raw_opt=()
if [ -n "${SEQ2SEQ_DATA_DIR:-}" ]; then
  raw_opt=(--raw-dir "$SEQ2SEQ_DATA_DIR/multi30k")
elif [ -d "$ROOT/../shared/data/multi30k" ]; then
  raw_opt=(--raw-dir "$ROOT/../shared/data/multi30k")
fi

echo "== 1/4 prepare Multi30k de->en (sentencepiece, joint vocabulary of 8000)"
if [ ! -f "$DATA/prepare.json" ]; then
  python -m preprocess.prepare multi30k --src de --tgt en "${raw_opt[@]}" --out "$DATA" \
    --vocab-size 8000 --joint --joined-dictionary
else
  echo "   already prepared: $DATA"
fi

echo "== 2/4 train rnn_bahdanau (bidirectional GRU, additive attention) for ${TRAIN_MINUTES} minutes"
echo "   log: $RUN_DIR/train.log"
hours=$(python -c "print(${TRAIN_MINUTES}/60)")
fairseq-train "$DATA/bin" --user-dir fairseq_plugins --task translation \
  --arch rnn_bahdanau --encoder-embed-dim 256 --encoder-hidden-size 256 \
  --decoder-hidden-size 256 --dropout 0.3 --share-all-embeddings 1 \
  --share-decoder-input-output-embed 1 \
  --optimizer adam --adam-betas '(0.9, 0.98)' --lr 0.003 --lr-scheduler inverse_sqrt \
  --warmup-updates 100 --clip-norm 1.0 --criterion label_smoothed_cross_entropy \
  --label-smoothing 0.1 --max-tokens 4000 --max-epoch 30 --stop-time-hours "$hours" \
  --save-dir "$CKPT" --no-epoch-checkpoints --log-format simple --log-interval 50 \
  --seed 1 2>&1 | tee "$RUN_DIR/train.log" | progress train || failed "$RUN_DIR/train.log"

echo "== 3/4 translate test2016 with beam 5 and score it"
echo "   log: $RUN_DIR/generate.log"
quiet "$RUN_DIR/generate.log" fairseq-generate "$DATA/bin" --user-dir fairseq_plugins \
  --path "$CKPT/checkpoint_best.pt" --beam 5 --batch-size 64 --post-process sentencepiece \
  --max-len-a 1.2 --max-len-b 10 |
  progress decode --total "$(wc -l < "$DATA/raw/test.en")" --out "$RUN_DIR/generate-test.txt" \
    --label "translating test2016"
python scripts/evaluate_mt.py --generate-output "$RUN_DIR/generate-test.txt" \
  --ref "$DATA/raw/test.en"

echo "== 4/4 fairseq-interactive"
echo "   log: $RUN_DIR/interactive.log"
# (not `tee /dev/stderr`: with output redirected to a file, that reopens and truncates it)
sentence="Ein Mann mit einem roten Hut fährt mit dem Fahrrad durch die Stadt."
echo "$sentence"
echo "$sentence" | quiet "$RUN_DIR/interactive.log" fairseq-interactive "$DATA/bin" \
    --user-dir fairseq_plugins --path "$CKPT/checkpoint_best.pt" \
    --source-lang de --target-lang en --bpe sentencepiece \
    --sentencepiece-model "$DATA/spm/joint.model" --beam 5 | grep '^D-' | cut -f3
