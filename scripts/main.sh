#!/usr/bin/env bash
# The main job: a latency-aware FBNet search (DNAS) on Fashion-MNIST, end to end, on this CPU:
#   1. a latency lookup table of the fbnet-s space, measured here (1 thread, batch 1);
#   2. the stochastic supernet trained with the latency-aware loss (a few epochs on a subset);
#   3. architectures sampled from the learned distribution (plus the argmax), each trained from
#      scratch; the best by validation accuracy is the result (test accuracy, FLOPs, table and
#      measured latency);
#   4. the study's HTML report.
# About 15 minutes on 2 cores. Everything lands in runs/quickstart/; a killed run continues with
#   npx tsnas search --resume <study> --store runs/quickstart/tsnas.db
# Environment knobs: TARGET_LATENCY (us: the proposals are the most probable architectures within
# it), SEARCH_EPOCHS, THETA_LR, TRAIN_EPOCHS, LIMIT_TRAIN, SAMPLES.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

out=runs/quickstart
lut=$out/fbnet-s-1x28x28-t1.lut.json
mkdir -p "$out"
if [ ! -f "$lut" ]; then
  npx --no-install tsnas lut build fbnet-s --input 1x28x28 --threads 1 -o "$lut"
fi
study="fbnet-quickstart-$(date +%Y%m%d-%H%M%S)"
budget=()
if [ -n "${TARGET_LATENCY:-}" ]; then budget=(--target-latency "$TARGET_LATENCY"); fi
# A short search: anneal the temperature to where the paper's 90 epochs end (tau-decay 4 / epochs)
# and let Adam move the logits further per step (docs/fbnet.md, "Latency budgets and short searches").
epochs="${SEARCH_EPOCHS:-5}"
tau_decay=$(awk -v n="$epochs" 'BEGIN { printf "%.3g", 4 / n }')
npx --no-install tsnas search dnas --space fbnet-s --data fashion-mnist --lut "$lut" \
  --epochs "$epochs" --warmup 1 --tau-decay "$tau_decay" --theta-lr "${THETA_LR:-0.05}" --limit-train "${LIMIT_TRAIN:-6000}" \
  --samples "${SAMPLES:-3}" --train-epochs "${TRAIN_EPOCHS:-3}" "${budget[@]}" \
  --study "$study" --store "$out/tsnas.db"
npx --no-install tsnas study report "$study" --store "$out/tsnas.db" -o "$out/$study.html"
echo "report: $out/$study.html"
