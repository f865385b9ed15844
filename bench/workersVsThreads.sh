#!/usr/bin/env bash
# Issue 16's evidence on this machine: the same real Fashion-MNIST random search (fbnet-s, a fixed
# subset, a fixed number of trials, a fixed seed) run as 2 workers of 1 thread (--workers 2
# --threads 2: the threads split) and as 1 worker of 2 threads (--workers 1 --threads 2). The
# n-th random proposal depends only on (seed, n), so both runs train the same architectures with
# the same recipe: what differs is how two cores are used (two trainings side by side, or one with
# two intra-op threads). Prints each run's wall time (worker start-up and data loading included),
# trials per minute and mean seconds per trial, then each trial's accuracy in both runs.
#   bash bench/workersVsThreads.sh                            # 6000 images, 2 epochs, 8 trials, seed 0
#   LIMIT_TRAIN=600 TRIALS=4 bash bench/workersVsThreads.sh   # a smoke run
# Knobs: LIMIT_TRAIN, EPOCHS, TRIALS, SEED, THREADS (split between the workers of the first run),
# ORDER ("2x1 1x2" by default; "1x2 2x1" runs them the other way round), OUT (runs/workers-vs-threads).
# Run it on a quiet machine: anything else running takes cores from one of the two runs.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT_TRAIN=${LIMIT_TRAIN:-6000}
EPOCHS=${EPOCHS:-2}
TRIALS=${TRIALS:-8}
SEED=${SEED:-0}
THREADS=${THREADS:-2}
OUT=${OUT:-runs/workers-vs-threads}
mkdir -p "$OUT"
store=$OUT/store.db
rm -rf "$store" "$store-wal" "$store-shm" "$OUT/studies"

run() { # name workers
  local t0 t1
  t0=$(date +%s.%N)
  node bin/tsnas.js search random --space fbnet-s --data fashion-mnist --limit-train "$LIMIT_TRAIN" \
    --train-epochs "$EPOCHS" --trials "$TRIALS" --seed "$SEED" --threads "$THREADS" --workers "$2" \
    --store "$store" --study "$1" --json >"$OUT/$1.json" 2>"$OUT/$1.err"
  t1=$(date +%s.%N)
  echo "$1 $t0 $t1" >>"$OUT/times"
}
: >"$OUT/times"
for r in ${ORDER:-2x1 1x2}; do
  case $r in
    2x1) run 2x1 2 ;;
    1x2) run 1x2 1 ;;
    *) echo "ORDER: give 2x1 and 1x2, got $r" >&2; exit 2 ;;
  esac
done

node -e '
const D = require("better-sqlite3");
const fs = require("fs");
const [store, times, limit, epochs, seed] = process.argv.slice(1);
const db = new D(store, { readonly: true });
const runs = fs.readFileSync(times, "utf8").trim().split("\n").map((l) => l.split(" "));
const label = { "2x1": "2 workers x 1 thread", "1x2": "1 worker x 2 threads" };
const trials = {};
console.log(`fbnet-s random search on Fashion-MNIST: ${limit} training images, ${epochs} epoch(s) per trial, seed ${seed}\n`);
console.log("| run | wall | complete trials | trials/min | mean s per trial | best accuracy |");
console.log("|---|---|---|---|---|---|");
for (const [name, t0, t1] of runs) {
  const id = db.prepare("SELECT id FROM studies WHERE name = ?").get(name).id;
  const rows = db.prepare("SELECT * FROM trials WHERE study_id = ? AND state = ? ORDER BY number").all(id, "complete");
  trials[name] = new Map(rows.map((r) => [r.arch, JSON.parse(r.metrics).accuracy]));
  const wall = Number(t1) - Number(t0);
  const mean = rows.reduce((s, r) => s + (r.finished_at - r.started_at) / 1000, 0) / rows.length;
  const best = Math.max(...rows.map((r) => JSON.parse(r.metrics).accuracy));
  console.log(`| ${label[name]} | ${wall.toFixed(1)} s | ${rows.length} | ${((rows.length * 60) / wall).toFixed(2)} | ${mean.toFixed(1)} | ${(best * 100).toFixed(2)}% |`);
}
const names = runs.map((r) => r[0]);
const archs = [...new Set(names.flatMap((n) => [...trials[n].keys()]))];
console.log(`\n| architecture | ${names.map((n) => label[n]).join(" | ")} |`);
console.log(`|---|${names.map(() => "---").join("|")}|`);
const pct = (v) => (v === undefined ? "-" : (v * 100).toFixed(2) + "%");
for (const a of archs) console.log(`| ${a} | ${names.map((n) => pct(trials[n].get(a))).join(" | ")} |`);
' "$store" "$OUT/times" "$LIMIT_TRAIN" "$EPOCHS" "$SEED"
