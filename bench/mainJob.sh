#!/usr/bin/env bash
# Evidence for the main job (issues 14 and 25): scripts/main.sh over seeds at its own budget (the
# front's lowest budget that a network beats the baseline at, as a user's run without BUDGET gets),
# then at other budgets, each run's result against fbnet-s-baseline trained with the same final
# recipe and seed in the same study; one Markdown table at the end, and the means over the seeds.
#   bash bench/mainJob.sh                        # seeds 0 1 2 at the main job's budget, then 0.4x 0.6x 0.8x at seed 0
#   SEEDS="0 1 2 3 4" BUDGETS="" bash bench/mainJob.sh   # the main job as a user runs it, 5 seeds
#   SEED_BUDGET=0.5 SEEDS="0" BUDGETS="0.6" bash bench/mainJob.sh
#   JOBS=2 THREADS=1 bash bench/mainJob.sh       # two runs at a time, one thread each (2 cores)
#   JSON_OUT=bench/results/main-job-seeds.json   # also the runs and the means per budget as JSON (main.sh cites it)
# The main job's knobs pass through (e.g. FINAL_LIMIT_TRAIN=20000 SEARCH_LIMIT_TRAIN=6000 for a
# reduced run: say so where the figures are quoted). Every run uses one latency table ($OUT/LUT),
# measured first when missing, and has its own directory $OUT/b<budget>-s<seed>. Each run's time is
# its own (with JOBS > 1, beside another run); the baseline is trained once per study (the final
# recipe of that study).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_SETUP:-}" ]; then bash scripts/setup.sh; fi
export SKIP_SETUP=1
export OUT=${OUT:-runs/mainjob-bench}
export LUT=${LUT:-$OUT/fbnet-s-1x28x28-t1.lut.json}
mkdir -p "$OUT"
if [ ! -f "$LUT" ]; then npx --no-install tsnas lut build fbnet-s --input 1x28x28 --threads 1 -o "$LUT"; fi
log=$OUT/runs.tsv
run() { # budget seed
  local t0=$(date +%s) dir=$OUT/b$1-s$2
  mkdir -p "$dir"
  # "main" leaves BUDGET unset: main.sh picks its budget as a user's run does.
  if [ "$1" = main ]; then
    OUT=$dir SEED=$2 bash scripts/main.sh >"$dir/main.out" 2>"$dir/main.err"
  else
    OUT=$dir BUDGET=$1 SEED=$2 bash scripts/main.sh >"$dir/main.out" 2>"$dir/main.err"
  fi
  local json=$(ls -t "$dir"/fbnet-quickstart-*-s"$2".json | head -1)
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$(( $(date +%s) - t0 ))" "$json" >>"$log"
}
for s in ${SEEDS-0 1 2}; do echo "${SEED_BUDGET:-main} $s"; done >"$OUT/plan"
for b in ${BUDGETS-0.4 0.6 0.8}; do echo "$b 0"; done >>"$OUT/plan"
while read -r b s; do
  while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-1}" ]; do wait -n || true; done
  run "$b" "$s" &
done <"$OUT/plan"
wait || true
node dist/bench/mainJobTable.js "$log" ${JSON_OUT:+--json "$JSON_OUT"}
