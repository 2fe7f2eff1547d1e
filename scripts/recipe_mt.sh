#!/usr/bin/env bash
# Translation recipe for one corpus and one system:
#
#   bash scripts/recipe_mt.sh multi30k SYSTEM   # de->en, scored on test2016 (1,000 sentences)
#   bash scripts/recipe_mt.sh anki SYSTEM       # en->fr Tatoeba, scored on the held-out 1,000
#                                               # pairs that preprocess.prepare anki carves
#   SYSTEM: rnn_sutskever rnn_cho rnn_bahdanau rnn_luong fconv transformer
#
# Prints cased detokenised sacreBLEU, the tutorials' lowercased tokenised BLEU and the
# test perplexity (for anki also BLEU against every translation of the same English
# sentence: scores-multiref.txt), and draws the training/validation loss (loss.png). TRAIN_HOURS
# (default 2) bounds training; on a 2-core CPU that is a reduced budget for every system
# (the tutorials trained on a GPU), so figures from such a run are lower bounds.
# For a budget of minutes rather than hours, a shorter warm-up and a higher peak learning
# rate help (LR, default 0.002; WARMUP_UPDATES, default 400).
# SIZE=small (RNN systems only): every RNN at 256 units with one shared, tied embedding
# (a fifth to a third of the parameters and twice the updates per CPU minute of the
# default SIZE=tutorial, which keeps the tutorials' 512-unit recurrent layers).
# COPY_ATTENTION (rnn_luong only, default 1): copy attention (--copy-attention), which gave
# rnn_luong 35.90 against 32.98 sacreBLEU on Multi30k (docs/results.md); 0 trains without.
# RUN_DIR (default runs/CORPUS), SEQ2SEQ_DATA_DIR as elsewhere.
set -euo pipefail
USAGE="usage: recipe_mt.sh multi30k|anki rnn_sutskever|rnn_cho|rnn_bahdanau|rnn_luong|fconv|transformer"
CORPUS="${1:?$USAGE}"
SYSTEM="${2:?$USAGE}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/_steps.sh
DATA_DIR="${SEQ2SEQ_DATA_DIR:-$ROOT/../shared/data}"
RUN_DIR="${RUN_DIR:-$ROOT/runs/$CORPUS}"
case "$CORPUS" in
  multi30k) PREP=(multi30k --src de --tgt en --raw-dir "$DATA_DIR/multi30k"); TGT=en ;;
  anki)     PREP=(anki --src en --tgt fr --raw-dir "$DATA_DIR/anki-fra-eng"); TGT=fr ;;
  *) echo "error: unknown corpus $CORPUS ($USAGE)" >&2; exit 2 ;;
esac

# the tutorials' sizes, scaled to what trains on a CPU; the same data for all but
# Sutskever's model, which reads the source reversed
SIZE="${SIZE:-tutorial}"
case "$SIZE" in
  tutorial) H=512 TIE="" ;;
  # one embedding for source, target and output layer (the dictionary is joined)
  small) H=256 TIE="--share-all-embeddings 1 --share-decoder-input-output-embed 1" ;;
  *) echo "error: SIZE must be tutorial or small, got ${SIZE}" >&2; exit 2 ;;
esac
RNN="--encoder-embed-dim 256 --dropout 0.3 $TIE"
case "$SYSTEM" in
  rnn_sutskever) ARGS="--arch rnn_sutskever $RNN --encoder-hidden-size $H"; REV=1 ;;
  rnn_cho)       ARGS="--arch rnn_cho $RNN --encoder-hidden-size $H" ;;
  rnn_bahdanau)  ARGS="--arch rnn_bahdanau $RNN --encoder-hidden-size 256 --decoder-hidden-size $H" ;;
  rnn_luong)     ARGS="--arch rnn_luong $RNN --encoder-hidden-size 256 --decoder-hidden-size $H --copy-attention ${COPY_ATTENTION:-1}" ;;
  fconv)         ARGS="--arch fconv_iwslt_de_en --dropout 0.25" ;;
  transformer)   ARGS="--arch transformer --encoder-layers 3 --decoder-layers 3 --encoder-embed-dim 256 --decoder-embed-dim 256 --encoder-ffn-embed-dim 512 --decoder-ffn-embed-dim 512 --encoder-attention-heads 8 --decoder-attention-heads 8 --dropout 0.1" ;;
  *) echo "error: unknown system $SYSTEM ($USAGE)" >&2; exit 2 ;;
esac
bash scripts/install.sh
export PATH="${VENV:-$ROOT/.venv}/bin:$PATH" OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
DATA="$RUN_DIR/data${REV:+-reversed}"
if [ ! -f "$DATA/prepare.json" ]; then
  python -m preprocess.prepare "${PREP[@]}" --out "$DATA" --vocab-size 8000 --joint --joined-dictionary ${REV:+--reverse-source}
fi
OUT="$RUN_DIR/$SYSTEM"
# a size of its own folder: fairseq-train would resume from another size's checkpoint_last
case "$SYSTEM:$SIZE" in rnn_*:small) OUT="$OUT-small" ;; esac
mkdir -p "$OUT"
rm -f "$OUT/generate.log"  # each run's own
echo "training $SYSTEM (log: $OUT/train.log)"
# shellcheck disable=SC2086
fairseq-train "$DATA/bin" --user-dir fairseq_plugins --task translation $ARGS \
  --optimizer adam --adam-betas '(0.9, 0.98)' --lr "${LR:-0.002}" --lr-scheduler inverse_sqrt \
  --warmup-updates "${WARMUP_UPDATES:-400}" --clip-norm 1.0 --criterion label_smoothed_cross_entropy \
  --label-smoothing 0.1 --max-tokens 4000 --max-epoch 40 --patience 5 \
  --stop-time-hours "${TRAIN_HOURS:-2}" --save-dir "$OUT/checkpoints" --no-epoch-checkpoints \
  --eval-bleu --eval-bleu-args '{"beam": 5, "max_len_a": 1.2, "max_len_b": 10}' \
  --eval-bleu-remove-bpe sentencepiece --best-checkpoint-metric bleu \
  --maximize-best-checkpoint-metric --tensorboard-logdir "$OUT/tb" --log-format simple \
  --log-interval 100 --seed 1 2>&1 | tee "$OUT/train.log" | progress train ||
  failed "$OUT/train.log"
echo "translating the test set (log: $OUT/generate.log)"
quiet "$OUT/generate.log" fairseq-generate "$DATA/bin" --user-dir fairseq_plugins \
  --path "$OUT/checkpoints/checkpoint_best.pt" --beam 5 --batch-size 64 \
  --post-process sentencepiece --max-len-a 1.2 --max-len-b 10 |
  progress decode --total "$(wc -l < "$DATA/raw/test.$TGT")" --out "$OUT/generate-test.txt" \
    --label "translating the test set"
python scripts/evaluate_mt.py --generate-output "$OUT/generate-test.txt" --ref "$DATA/raw/test.$TGT" \
  --data-bin "$DATA/bin" --path "$OUT/checkpoints/checkpoint_best.pt" | tee "$OUT/scores.txt"
if [ "$CORPUS" = anki ]; then
  # Tatoeba gives one English sentence several French translations: score against all of them
  python scripts/evaluate_mt.py --generate-output "$OUT/generate-test.txt" --ref "$DATA/raw/test.$TGT" \
    --refs-by-source "$DATA/raw/test.en" | tee "$OUT/scores-multiref.txt"
fi
python scripts/plot_loss.py --logdir "$OUT/tb" --out "$OUT/loss.png"
