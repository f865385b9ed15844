#!/usr/bin/env bash
# Issue 15's "does the target change the answer?": one DNAS search per latency table (the same
# data, seed and search settings as the main job's search), each with its budget at BUDGET x that
# table's fbnet-s-baseline; prints each pick, its table latency and its latency re-measured in the
# table's runtime. Tables: TABLES="engine.lut.json ort.lut.json browser.lut.json" (built with
# `npx tsnas lut build fbnet-s --input 1x28x28 --target T -o FILE`).
#   TABLES="..." bash bench/dnasPickPerTarget.sh
# Knobs: BUDGET (0.5), SEED (0), EPOCHS (4), SEARCH_LIMIT_TRAIN (4000), THREADS (2), OUT (runs/dnas-pick).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/dnas-pick}
mkdir -p "$out"
epochs=${EPOCHS:-4}
tau_decay=$(awk -v n="$epochs" 'BEGIN { printf "%.3g", log(5 / 1.5) / (n - 1) }')
for lut in $TABLES; do
  name=$(basename "$lut" .lut.json)
  base=$(npx --no-install tsnas cost fbnet-s fbnet-s-baseline --input 1x28x28 --lut "$lut" --json |
    node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8")).latencyUs))')
  budget=$(awk -v b="$base" -v f="${BUDGET:-0.5}" 'BEGIN { printf "%d", b * f }')
  npx --no-install tsnas search dnas --space fbnet-s --data fashion-mnist --lut "$lut" --seed "${SEED:-0}" \
    --epochs "$epochs" --warmup 1 --tau-decay "$tau_decay" --theta-lr 0.1 --beta 0.6 \
    --supernet-limit-train "${SEARCH_LIMIT_TRAIN:-4000}" --target-latency "$budget" --samples 0 --train-epochs 1 \
    --limit-train 1000 --threads "${THREADS:-2}" --study "pick-$name" --store "$out/picks.db" --json \
    >"$out/$name.json" 2>"$out/$name.err"
  node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").at(-1));
const f = r.final ?? {};
console.log(`| ${process.argv[2]} | ${process.argv[3]} us | \`${f.arch ?? r.best.arch}\` | ${f.tableLatencyUs?.toFixed(0) ?? "?"} us | ${f.measuredLatencyUs?.toFixed(0) ?? "?"} us |`);
' "$out/$name.json" "$name" "$budget"
done
