#!/usr/bin/env bash
# Issue 15's table accuracy as a user meets it: PAIRS separate `lut build` + `lut validate` pairs
# (each a process of its own, as a user runs them) per target, and per pair the validation's
# Spearman and MAPE beside its level check (the table's calibration networks timed again: how much
# faster or slower the machine ran than during the build) and the MAPE at the build's speed.
#   bash bench/lutPairs.sh
# Knobs: TARGETS ("ort-cpu browser-wasm engine-cpu"), PAIRS (3), SPACE (fbnet-s), INPUT (1x28x28),
# OUT (runs/lut-pairs). Prints one markdown row per pair; `uptime` before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/lut-pairs}
space=${SPACE:-fbnet-s}
input=${INPUT:-1x28x28}
mkdir -p "$out"
echo "start: $(uptime)"
echo
echo '| target | pair | overheadUs | Spearman | MAPE | level ratio | MAPE at the build speed |'
echo '|---|---|---|---|---|---|---|'
for target in ${TARGETS:-ort-cpu browser-wasm engine-cpu}; do
  for pair in $(seq 1 "${PAIRS:-3}"); do
    lut="$out/$target-$pair.lut.json"
    npx --no-install tsnas lut build "$space" --input "$input" --target "$target" -o "$lut" >"$out/$target-$pair.build.log" 2>&1
    npx --no-install tsnas lut validate "$space" --lut "$lut" --json >"$out/$target-$pair.json" 2>"$out/$target-$pair.err"
    node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const [details, score] = lines.slice(-2);
const pct = (v) => (v === undefined ? "-" : `${v.toFixed(2)}%`);
console.log(`| ${process.argv[2]} | ${process.argv[3]} | ${details.overheadUs.toFixed(1)} us | ${score.spearman.toFixed(3)} | ` +
  `${pct(score.mape)} | ${details.levelRatio?.toFixed(3) ?? "-"} | ${pct(details.mapeAtBuildLevel)} |`);
' "$out/$target-$pair.json" "$target" "$pair"
  done
done
echo
echo "end: $(uptime)"
