#!/usr/bin/env bash
# GEC recipe on real learner data, scored as the field scores it:
#   1. data: FCE v2.1 train (JSON) + W&I train (M2), LEARNER_COPIES times, and synthetic
#      errors in clean English (Brown, MASC) and in the older synthetic sources (Multi30k,
#      Anki), SYNTHETIC_PER_SOURCE sentences of each; valid = FCE dev (never tested on);
#   2. rnn_gec trained for 9,000 updates (SIZE=full, about 2 hours on 2 threads) or 3,000
#      (SIZE=small, about 40 minutes; fairseq_plugins/config/gec_learner.yaml; how long it
#      took, where: docs/gec.md), at most TRAIN_HOURS (default 2.5 / 1.5),
#      the checkpoint with the best greedy GLEU on FCE dev kept;
#   3. on FCE dev, by M2 F0.5: checkpoint_best or the average of the last three interval
#      checkpoints, then --copy-bias, the spelling step and the correction rounds;
#   4. one table (RUN_DIR/results.md): JFLEG test GLEU on the learner's source and on the
#      spellchecked source, CoNLL-2014 test M2 F0.5, W&I dev M2 F0.5, each beside the
#      source copied unchanged.
#
#   bash scripts/recipe_gec.sh [HYDRA_OVERRIDE ...]
#   DATA=synthetic bash scripts/recipe_gec.sh ...    the synthetic-only recipe
#                                                    (scripts/recipe_gec_synthetic.sh)
#
# Arguments are hydra overrides on top of gec_learner.yaml (its header gives the GPU size).
# Environment: SEQ2SEQ_DATA_DIR (default ../shared/data; gec-learner/, clean-en/, jfleg/,
#              multi30k/, anki-fra-eng/ in it), RUN_DIR (default runs/gec-learner),
#              SIZE (full or small), TRAIN_HOURS (a cap), LEARNER_COPIES (default 2),
#              SYNTHETIC_PER_SOURCE (full 60000, small 20000; 0 = no synthetic pairs),
#              LEARNER_PATTERNS, SPELLCHECKER_NOISE (the two noise families, default 0),
#              SOURCE_WORD_DROPOUT (default 0), SPELLINGS (default "off on"),
#              ROUNDS (default "1"), MAX_INPUT_CHARS (default 2000),
#              VOCAB_SIZE (joint sentencepiece, default 8000),
#              COPY_BIASES (default "off 0.1"), CPU_BF16 (auto, 0 or 1, as in
#              recipe_gec_synthetic.sh), STOP_AFTER=data (build the data and the test
#              inputs only).
# Each step is skipped when its output is there: remove RUN_DIR/data, RUN_DIR/checkpoints
# or RUN_DIR/eval to redo it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
case "${DATA:-learner}" in
  learner) ;;
  synthetic) exec bash scripts/recipe_gec_synthetic.sh "$@" ;;
  *) echo "error: DATA must be learner or synthetic, got ${DATA}" >&2; exit 2 ;;
esac
CPU_BF16="${CPU_BF16:-auto}"
case "$CPU_BF16" in
  auto|0|1) ;;
  *) echo "error: CPU_BF16 must be auto, 0 or 1, got ${CPU_BF16}" >&2; exit 2 ;;
esac
case "${SIZE:-full}" in
  full) UPDATES=9000 SYNTHETIC="${SYNTHETIC_PER_SOURCE:-60000}" HOURS="${TRAIN_HOURS:-2.5}" ;;
  small) UPDATES=3000 SYNTHETIC="${SYNTHETIC_PER_SOURCE:-20000}" HOURS="${TRAIN_HOURS:-1.5}" ;;
  *) echo "error: SIZE must be full or small, got ${SIZE}" >&2; exit 2 ;;
esac
source scripts/_steps.sh
DATA_DIR="${SEQ2SEQ_DATA_DIR:-$ROOT/../shared/data}"
L="$DATA_DIR/gec-learner"
for f in "$L/fce/fce-train.json" "$L/fce/fce-dev.json" "$L/wi/A.train.gold.bea19.m2" \
         "$L/wi/A.dev.gold.bea19.m2" "$L/conll14/official-2014.combined.m2" \
         "$DATA_DIR/jfleg/test.src" "$DATA_DIR/clean-en/brown.tok.txt"; do
  [ -f "$f" ] || { echo "error: $f not found (docs/gec.md says where each corpus is obtained)" >&2; exit 2; }
done
bash scripts/install.sh
export PATH="${VENV:-$ROOT/.venv}/bin:$PATH" OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
RUN_DIR="${RUN_DIR:-$ROOT/runs/gec-learner}"
EVAL="$RUN_DIR/eval"
mkdir -p "$RUN_DIR" "$EVAL"

# 1. data ------------------------------------------------------------------------------
if [ ! -f "$RUN_DIR/data/gec_data.json" ]; then
  synthetic=()
  if [ "$SYNTHETIC" != 0 ]; then
    synthetic=(--clean-text "$DATA_DIR"/clean-en/{brown,masc_written,masc_spoken}.tok.txt
               --multi30k-dir "$DATA_DIR/multi30k" --anki-file "$DATA_DIR/anki-fra-eng/fra-eng.tsv.gz"
               --max-sentences "$SYNTHETIC" --noise-copies 1)
  fi
  python -m preprocess.gec_data --out "$RUN_DIR/data" \
    --fce "$L/fce/fce-train.json" --m2 "$L"/wi/{A,B,C}.train.gold.bea19.m2 \
    --learner-copies "${LEARNER_COPIES:-2}" ${synthetic[@]+"${synthetic[@]}"} \
    --learner-patterns "${LEARNER_PATTERNS:-0}" --spellchecker-noise "${SPELLCHECKER_NOISE:-0}" \
    --valid-fce "$L/fce/fce-dev.json" --vocab-size "${VOCAB_SIZE:-8000}" | tee "$RUN_DIR/data.log"
fi

# the test inputs: M2 sources, gold edits, JFLEG's two inputs (the spellchecked one with
# the learner's case put back: JFLEG's test file is all lowercase, see preprocess/recase.py)
if [ ! -f "$EVAL/inputs.done" ]; then
  cp "$L/conll14/official-2014.combined.m2" "$EVAL/conll14.m2"
  cat "$L"/wi/{A,B,C}.dev.gold.bea19.m2 > "$EVAL/wi-dev.m2"
  for set in conll14 wi-dev; do
    python -m preprocess.m2 "$EVAL/$set.m2" --src-out "$EVAL/$set.err" --tgt-out "$EVAL/$set.ann0"
  done
  cp "$DATA_DIR/jfleg/test.src" "$EVAL/jfleg-test.err"
  python - "$DATA_DIR/jfleg" "$EVAL/jfleg-test-spellchecked.err" <<'EOF2'
import sys
from preprocess.recase import restore_case
folder, out = sys.argv[1:]
lowered = open(f"{folder}/test.spellchecked.src", encoding="utf-8").read().splitlines()
learner = open(f"{folder}/test.src", encoding="utf-8").read().splitlines()
with open(out, "w", encoding="utf-8") as f:
    f.writelines(restore_case(a, b) + "\n" for a, b in zip(lowered, learner))
EOF2
  touch "$EVAL/inputs.done"
fi
if [ "${STOP_AFTER:-}" = data ]; then
  echo "data in $RUN_DIR/data, test inputs in $EVAL (STOP_AFTER=data)"
  exit 0
fi

# 2. training --------------------------------------------------------------------------
CKPT="$RUN_DIR/checkpoints"
if grep -qs "done training" "$RUN_DIR/train.log" && [ -f "$CKPT/checkpoint_best.pt" ]; then
  echo "already trained: $RUN_DIR/train.log (remove $CKPT to train again)"
else
  if [ "$CPU_BF16" = auto ]; then
    CPU_BF16=$(python scripts/cpu_bf16_pays.py --threads "$OMP_NUM_THREADS")
  fi
  start=$(date +%s)
  echo "training with model.cpu_bf16=$CPU_BF16; log: $RUN_DIR/train.log"
  fairseq-hydra-train --config-dir fairseq_plugins/config --config-name gec_learner \
    task.data="$RUN_DIR/data/bin" checkpoint.save_dir="$CKPT" \
    optimization.max_update="$UPDATES" lr_scheduler.total_num_update="$UPDATES" \
    optimization.stop_time_hours="$HOURS" model.cpu_bf16="$CPU_BF16" \
    task.source_word_dropout="${SOURCE_WORD_DROPOUT:-0}" "$@" 2>&1 |
    tee "$RUN_DIR/train.log" | progress train || failed "$RUN_DIR/train.log"
  echo "training took $(( ($(date +%s) - start) / 60 )) minutes"
fi
if [ "${STOP_AFTER:-}" = train ]; then
  echo "checkpoints in $CKPT (STOP_AFTER=train)"
  exit 0
fi

# 3. choices on FCE dev ----------------------------------------------------------------
# correct OUT CHECKPOINT INPUT [ARGS...]: token in, token out (--tokenizer space: the test
# sets are tokenised already, and M2 scores the tokens as they come), a progress line;
# --max-input-chars above the longest test sentence (CoNLL-2014's has 1,458 characters):
# every sentence is corrected, none skipped and scored as copied
correct() {
  local out="$1" ckpt="$2" input="$3"; shift 3
  quiet "$RUN_DIR/interactive.log" fairseq-interactive "$RUN_DIR/data/bin" \
    --user-dir fairseq_plugins --task gec --source-lang err --target-lang cor \
    --path "$ckpt" --bpe sentencepiece --sentencepiece-model "$RUN_DIR/data/spm/joint.model" \
    --tokenizer space --beam 5 --max-len-a 1.1 --max-len-b 10 --buffer-size 64 \
    --batch-size 64 --max-input-chars "${MAX_INPUT_CHARS:-2000}" --input "$input" "$@" |
    progress decode --total "$(wc -l < "$input")" --out "$out" --label "correcting ${out##*/}"
}
f05() {  # GOLD HYP: the F0.5 of evaluate_gec.py's M2 line
  python scripts/evaluate_gec.py --m2 "$1" --hyp "$2" | awk '$1 == "M2" {print $7}'
}
better() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
DEV_ERR="$RUN_DIR/data/raw/valid.err" DEV_M2="$RUN_DIR/data/raw/valid.m2"

if [ ! -f "$CKPT/checkpoint_avg3.pt" ] && [ "$(ls "$CKPT"/checkpoint_*_*.pt 2>/dev/null | wc -l)" -ge 3 ]; then
  python scripts/average_checkpoints.py --inputs "$CKPT" --num-update-checkpoints 3 \
    --output "$CKPT/checkpoint_avg3.pt" > /dev/null
fi
: > "$RUN_DIR/choices.tsv"
best_ckpt="" best_f=-1
for name in best avg3; do
  [ -f "$CKPT/checkpoint_$name.pt" ] || continue
  correct "$EVAL/fce-dev.$name.out" "$CKPT/checkpoint_$name.pt" "$DEV_ERR"
  f=$(f05 "$DEV_M2" "$EVAL/fce-dev.$name.out")
  printf 'checkpoint\t%s\t%s\n' "$name" "$f" | tee -a "$RUN_DIR/choices.tsv"
  if better "$f" "$best_f"; then best_ckpt=$name best_f=$f; fi
done
MODEL="$CKPT/checkpoint_$best_ckpt.pt"
best_bias=off
for bias in ${COPY_BIASES:-off 0.1}; do
  [ "$bias" = off ] && continue   # 'off' is the checkpoint row above
  correct "$EVAL/fce-dev.bias-$bias.out" "$MODEL" "$DEV_ERR" --copy-bias "$bias"
  f=$(f05 "$DEV_M2" "$EVAL/fce-dev.bias-$bias.out")
  printf 'copy-bias\t%s\t%s\n' "$bias" "$f" | tee -a "$RUN_DIR/choices.tsv"
  if better "$f" "$best_f"; then best_bias=$bias best_f=$f; fi
done
args=(); [ "$best_bias" = off ] || args=(--copy-bias "$best_bias")
# the spelling step (symspellpy; python -m pip install symspellpy) and repeated correction
best_spelling=off
for spelling in ${SPELLINGS:-off on}; do
  [ "$spelling" = off ] && continue
  correct "$EVAL/fce-dev.spelling.out" "$MODEL" "$DEV_ERR" ${args[@]+"${args[@]}"} --spelling
  f=$(f05 "$DEV_M2" "$EVAL/fce-dev.spelling.out")
  printf 'spelling\t%s\t%s\n' "$spelling" "$f" | tee -a "$RUN_DIR/choices.tsv"
  if better "$f" "$best_f"; then best_spelling=on best_f=$f; fi
done
[ "$best_spelling" = off ] || args+=(--spelling)
best_rounds=1
for rounds in ${ROUNDS:-1}; do
  [ "$rounds" = 1 ] && continue
  correct "$EVAL/fce-dev.rounds-$rounds.out" "$MODEL" "$DEV_ERR" ${args[@]+"${args[@]}"} \
    --iterative-rounds "$rounds"
  f=$(f05 "$DEV_M2" "$EVAL/fce-dev.rounds-$rounds.out")
  printf 'rounds\t%s\t%s\n' "$rounds" "$f" | tee -a "$RUN_DIR/choices.tsv"
  if better "$f" "$best_f"; then best_rounds=$rounds best_f=$f; fi
done
[ "$best_rounds" = 1 ] || args+=(--iterative-rounds "$best_rounds")
chosen="checkpoint_$best_ckpt.pt, --copy-bias $best_bias, spelling $best_spelling, rounds $best_rounds"
echo "chosen on FCE dev (M2 F0.5 $best_f): $chosen"

# 4. the test sets ---------------------------------------------------------------------
for set in jfleg-test jfleg-test-spellchecked conll14 wi-dev; do
  correct "$EVAL/$set.out" "$MODEL" "$EVAL/$set.err" ${args[@]+"${args[@]}"}
done
gleu_of() { awk -v k="$1" '$0 ~ k {print $NF; exit}'; }
m2_of() { awk '$1 == "M2" {printf "%s (P %s R %s)", $7, $3, $5}'; }
J="$DATA_DIR/jfleg"
python scripts/evaluate_gec.py --jfleg-dir "$J" --split test --hyp "$EVAL/jfleg-test.out" > "$EVAL/jfleg-test.score"
python scripts/evaluate_gec.py --jfleg-dir "$J" --split test --hyp "$EVAL/jfleg-test-spellchecked.out" \
  --input "$EVAL/jfleg-test-spellchecked.err" > "$EVAL/jfleg-test-spellchecked.score"
for set in conll14 wi-dev; do
  python scripts/evaluate_gec.py --m2 "$EVAL/$set.m2" --hyp "$EVAL/$set.out" > "$EVAL/$set.score"
  python scripts/evaluate_gec.py --m2 "$EVAL/$set.m2" --hyp "$EVAL/$set.err" > "$EVAL/$set.copy.score"
done
{
  echo "| test set | metric | rnn_gec | source copied |"
  echo "| --- | --- | --- | --- |"
  echo "| JFLEG test, learner's source | GLEU | $(gleu_of '^GLEU' < "$EVAL/jfleg-test.score") | $(gleu_of 'source-copied' < "$EVAL/jfleg-test.score") |"
  # the input copied: JFLEG's spellchecked source with the learner's case put back (43.40
  # as JFLEG ships it, all lowercase)
  echo "| JFLEG test, spellchecked source | GLEU | $(gleu_of '^GLEU' < "$EVAL/jfleg-test-spellchecked.score") | $(gleu_of 'model-input' < "$EVAL/jfleg-test-spellchecked.score") |"
  echo "| CoNLL-2014 test | M2 F0.5 | $(m2_of < "$EVAL/conll14.score") | $(m2_of < "$EVAL/conll14.copy.score") |"
  echo "| W&I dev (A+B+C) | M2 F0.5 | $(m2_of < "$EVAL/wi-dev.score") | $(m2_of < "$EVAL/wi-dev.copy.score") |"
  echo
  echo "$chosen (chosen on FCE dev, M2 F0.5 $best_f); every test sentence corrected (--max-input-chars ${MAX_INPUT_CHARS:-2000})"
} | tee "$RUN_DIR/results.md"
