#!/usr/bin/env bash
# The synthetic-only GEC recipe (the learner-data one is scripts/recipe_gec.sh): build synthetic + JFLEG-dev training data, train rnn_gec on CPU (budget
# TRAIN_HOURS, default 0.85), keep the checkpoint with the best GLEU on the 200 JFLEG dev
# sentences held out of training, tune --copy-bias on those same sentences, and score
# JFLEG test with GLEU beside its two baselines.
#
#   DATA=synthetic bash scripts/recipe_gec.sh [HYDRA_OVERRIDE ...]   (runs this file)
#
# Arguments are hydra overrides for fairseq-hydra-train on top of
# fairseq_plugins/config/gec_rnn.yaml, e.g. optimization.lr=[0.002]. The learning rate
# decays over ~2,500 updates (what 2 threads do in 0.85 h): with another TRAIN_HOURS or
# machine, pass lr_scheduler.total_num_update=N for about the updates it will make.
# Environment: SEQ2SEQ_DATA_DIR (default ../shared/data), RUN_DIR (default runs/gec),
#              TRAIN_HOURS, JFLEG_DEV_COPIES (JFLEG dev pairs in training, default 4),
#              JFLEG_DEV_NOISE_COPIES (noised copies of those dev references, default 0),
#              JFLEG_DEV_PATTERNS (the training dev sentences' own edits made in the
#                        synthetic pairs at their observed rates times this, default 0),
#              NOISE_COPIES (noised versions of each clean line, default 1),
#              NOISE_RATES (error rates for the noiser, key=value,..., e.g.
#                        lowercase_line=0.08; default: preprocess/noise.py's),
#              JOIN_SENTENCES (clean sentences joined into lines of 1..N, default 3),
#              COPY_BIASES (the values tried, default "off 0 0.1 0.2 0.4 0.8"),
#              CPU_BF16 (auto, 0 or 1: train and decode under bf16 autocast, --cpu-bf16;
#                        auto = where scripts/cpu_bf16_pays.py measures bf16 faster on this
#                        CPU; a model.cpu_bf16=N argument comes after it and wins: hydra
#                        keeps the last value).
# The model reads JFLEG's spellchecked source (554 dev sentences in training, the other
# 200 for choices, test for the score), with the learner's case put back where JFLEG's
# file lowercased it (all of test); GLEU penalises n-grams kept from the learner's
# original sentence, as for JFLEG's spellchecked baseline.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/_steps.sh
CPU_BF16="${CPU_BF16:-auto}"
case "$CPU_BF16" in
  auto|0|1) ;;
  *) echo "error: CPU_BF16 must be auto, 0 or 1, got ${CPU_BF16}" >&2; exit 2 ;;
esac
bash scripts/install.sh
export PATH="${VENV:-$ROOT/.venv}/bin:$PATH" OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
DATA_DIR="${SEQ2SEQ_DATA_DIR:-$ROOT/../shared/data}"
RUN_DIR="${RUN_DIR:-$ROOT/runs/gec}"
mkdir -p "$RUN_DIR"

if [ ! -f "$RUN_DIR/data/gec_data.json" ]; then
  python -m preprocess.gec_data --out "$RUN_DIR/data" \
    --multi30k-dir "$DATA_DIR/multi30k" --anki-file "$DATA_DIR/anki-fra-eng/fra-eng.tsv.gz" \
    --jfleg-dir "$DATA_DIR/jfleg" --jfleg-source spellchecked-cased \
    --jfleg-dev-copies "${JFLEG_DEV_COPIES:-4}" --jfleg-dev-holdout 200 \
    --jfleg-dev-noise-copies "${JFLEG_DEV_NOISE_COPIES:-0}" \
    --jfleg-dev-patterns "${JFLEG_DEV_PATTERNS:-0}" \
    --noise-copies "${NOISE_COPIES:-1}" --join-sentences "${JOIN_SENTENCES:-3}" --vocab-size 4000 \
    ${NOISE_RATES:+--rates "$NOISE_RATES"}
fi

if grep -qs "done training" "$RUN_DIR/train.log" && [ -f "$RUN_DIR/checkpoints/checkpoint_best.pt" ]; then
  echo "already trained: $RUN_DIR/train.log (remove $RUN_DIR/checkpoints to train again)"
else
  # bf16 only where it is measured faster here: 1.5x the updates on a Xeon with AMX, but
  # 0.64x fp32's speed on one with AVX-512 bf16 and no AMX, so the CPU's flags cannot
  # decide. Only training needs it: a checkpoint decodes with the cpu_bf16 it was saved with
  if [ "$CPU_BF16" = auto ]; then
    CPU_BF16=$(python scripts/cpu_bf16_pays.py --threads "$OMP_NUM_THREADS")
  fi
  start=$(date +%s)
  echo "training with model.cpu_bf16=$CPU_BF16 (CPU_BF16; a model.cpu_bf16 argument wins)"
  echo "training log: $RUN_DIR/train.log"
  fairseq-hydra-train --config-dir fairseq_plugins/config --config-name gec_rnn \
    task.data="$RUN_DIR/data/bin" checkpoint.save_dir="$RUN_DIR/checkpoints" \
    optimization.stop_time_hours="${TRAIN_HOURS:-0.85}" model.cpu_bf16="$CPU_BF16" "$@" 2>&1 | tee "$RUN_DIR/train.log" |
    progress train || failed "$RUN_DIR/train.log"
  echo "training took $(( ($(date +%s) - start) / 60 )) minutes"
fi

# correct OUT FILE [ARGS...]: FILE corrected by checkpoint_best into OUT, extra args after
# it (e.g. --copy-bias 0.2), a progress line while it runs
correct() {
  local out="$1" input="$2"; shift 2
  quiet "$RUN_DIR/interactive.log" fairseq-interactive "$RUN_DIR/data/bin" \
    --user-dir fairseq_plugins --task gec \
    --source-lang err --target-lang cor --path "$RUN_DIR/checkpoints/checkpoint_best.pt" \
    --bpe sentencepiece --sentencepiece-model "$RUN_DIR/data/spm/joint.model" \
    --beam 5 --max-len-a 1.1 --max-len-b 10 --buffer-size 64 --batch-size 64 \
    --input "$input" "$@" |
    progress decode --total "$(wc -l < "$input")" --out "$out" --label "correcting ${out##*/}"
}
gleu() {  # SPLIT-ARGS... : the GLEU figure of evaluate_gec.py's first line
  python scripts/evaluate_gec.py "$@" --hyp-tokenize ptb | awk '$1 == "GLEU" {print $2}'
}

# --copy-bias (keep the source unless the model clearly prefers a change), tuned on the
# JFLEG dev sentences that were kept out of training
: > "$RUN_DIR/copy-bias.tsv"
echo "correcting with fairseq-interactive (log: $RUN_DIR/interactive.log)"
best_bias=off best_gleu=-1
for bias in ${COPY_BIASES:-off 0 0.1 0.2 0.4 0.8}; do
  args=(); [ "$bias" = off ] || args=(--copy-bias "$bias")
  correct "$RUN_DIR/valid-bias-$bias.out" "$RUN_DIR/data/raw/valid.err" ${args[@]+"${args[@]}"}
  g=$(gleu --gec-data "$RUN_DIR/data" --split valid --hyp "$RUN_DIR/valid-bias-$bias.out")
  printf '%s\t%s\n' "$bias" "$g" | tee -a "$RUN_DIR/copy-bias.tsv"
  if awk -v g="$g" -v best="$best_gleu" 'BEGIN { exit !(g + 0 > best + 0) }'; then
    best_bias=$bias best_gleu=$g
  fi
done
echo "held-out dev GLEU by --copy-bias in $RUN_DIR/copy-bias.tsv; chosen: $best_bias ($best_gleu)"

args=(); [ "$best_bias" = off ] || args=(--copy-bias "$best_bias")
# raw/test.err: JFLEG's spellchecked test sentences with the learner's case put back
# (the file itself is all lowercase; dev's keeps the case the model trained on)
correct "$RUN_DIR/jfleg-test.out" "$RUN_DIR/data/raw/test.err" ${args[@]+"${args[@]}"}
python scripts/evaluate_gec.py --jfleg-dir "$DATA_DIR/jfleg" --split test \
  --hyp "$RUN_DIR/jfleg-test.out" --hyp-tokenize ptb --input "$RUN_DIR/data/raw/test.err" |
  tee "$RUN_DIR/jfleg-test.gleu"
