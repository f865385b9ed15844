#!/usr/bin/env bash
# Evidence for the main job (issue 14): scripts/main.sh over seeds at its budget (0.5 x the
# baseline's table latency), then at other budgets, each run's result against fbnet-s-baseline
# trained with the same final recipe in the same study; one Markdown table at the end.
#   bash bench/mainJob.sh                        # seeds 0 1 2 at 0.5x, then 0.4x 0.6x 0.8x at seed 0
#   SEEDS="0" BUDGETS="0.6" bash bench/mainJob.sh
# The main job's knobs pass through (e.g. FINAL_LIMIT_TRAIN=20000 SEARCH_LIMIT_TRAIN=6000 for a
# reduced run: say so where the figures are quoted). Every run shares one latency table (OUT).
# Each main job's time is its own; the baseline is trained once per study (the final recipe of that study).
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT=${OUT:-runs/mainjob-bench}
mkdir -p "$OUT"
log=$OUT/runs.tsv
run() { # budget seed
  local t0=$(date +%s)
  BUDGET=$1 SEED=$2 bash scripts/main.sh >"$OUT/main-b$1-s$2.out" 2>"$OUT/main-b$1-s$2.err"
  local json=$(ls -t "$OUT"/fbnet-quickstart-*-s"$2".json | head -1)
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$(( $(date +%s) - t0 ))" "$json" >>"$log"
}
for s in ${SEEDS-0 1 2}; do run 0.5 "$s"; done
for b in ${BUDGETS-0.4 0.6 0.8}; do run "$b" 0; done
node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split("\t"));
const pct = (v) => (v == null ? "?" : (v * 100).toFixed(2) + "%");
const ms = (v) => (v == null ? "?" : (v / 1000).toFixed(2) + " ms");
console.log("| budget | seed | searched: test acc | table / measured latency | baseline: test acc | table / measured latency | points | speed-up (table) | time |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const [b, s, secs, file] of rows) {
  const r = JSON.parse(fs.readFileSync(file, "utf8").trim().split("\n").at(-1)).finalTraining;
  const [n, ref] = [r.networks.find((x) => x.role === "result"), r.networks.find((x) => x.role === "reference")];
  const c = r.comparisons[0];
  console.log(`| ${b}x | ${s} | ${pct(n.testAcc)} | ${ms(n.tableLatencyUs)} / ${ms(n.measuredLatencyUs)} | ${pct(ref.testAcc)} | ${ms(ref.tableLatencyUs)} / ${ms(ref.measuredLatencyUs)} | ${c.accuracyPoints.toFixed(2)} | ${c.speedup.toFixed(2)}x | ${Math.floor(secs / 60)} min ${secs % 60} s |`);
}
' "$log"
