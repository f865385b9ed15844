#!/usr/bin/env bash
# Captures small deterministic runs whose numbers a refactoring must not change, and compares two
# captures. Used for the search-layer reshaping (issue 10): before and after every merge, the
# trials (architectures, sources, metrics, epochs) and the DNAS records were equal but for timings.
#   bash bench/sameResults.sh capture DIR     # four runs (a 2-epoch DNAS search, evolution, random, train)
#   bash bench/sameResults.sh compare DIR_A DIR_B
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  capture)
    out=$2; mkdir -p "$out"; w=$(mktemp -d); t="node bin/tsnas.js"
    $t search dnas --space fbnet-s --data fashion-mnist --cost flops --epochs 2 --warmup 1 --samples 1 --train-epochs 1 \
      --limit-train 600 --threads 1 --theta-lr 0.05 --tau-decay 2 --seed 3 --store "$w/d.db" --study d --json > "$out/dnas.json"
    $t search evolution --space fbnet-s --evaluator synthetic:4 --trials 60 --population 10 --sample-size 3 \
      --constraint 'flops<=6M' --seed 5 --store "$w/e.db" --study e --json > "$out/evo.json"
    $t search random --space fbnet --evaluator synthetic --trials 20 --seed 2 --store "$w/e.db" --study r --json > "$out/rnd.json"
    $t train fbnet-s fbnet-s-baseline --data fashion-mnist --epochs 1 --limit-train 500 --threads 1 -o "$w/t" --json > "$out/train.json"
    node -e '
      const D = require("better-sqlite3"); const [w, out] = process.argv.slice(1); const res = {};
      for (const [f, s] of [["d.db", "d"], ["e.db", "e"], ["e.db", "r"]]) {
        const c = new D(`${w}/${f}`, { readonly: true });
        const id = c.prepare("select id from studies where name = ?").get(s).id;
        res[s] = {
          trials: c.prepare("select number, arch, source, flops, params, latency_us, metrics, epochs, state from trials where study_id = ? order by number").all(id),
          state: Object.fromEntries(c.prepare("select key, value from strategy_state where study_id = ?").all(id).map((r) => [r.key, r.value])),
        };
      }
      require("fs").writeFileSync(`${out}/db.json`, JSON.stringify(res));' "$w" "$out"
    echo "captured in $out" ;;
  compare)
    node -e '
      const fs = require("fs"); const [a, b] = process.argv.slice(1);
      const TIMING = new Set(["seconds", "imgPerSec", "trainSeconds", "measuredLatencyUs", "measuredP25Us", "measuredP75Us", "store", "checkpoint", "final", "report.sections"]);
      const strip = (v) => JSON.parse(JSON.stringify(v, (k, x) => (TIMING.has(k) ? undefined : typeof x === "string" && /^[\[{]/.test(x) ? strip(JSON.parse(x)) : x)));
      let same = true;
      for (const f of ["dnas.json", "evo.json", "rnd.json", "train.json", "db.json"]) {
        const eq = JSON.stringify(strip(JSON.parse(fs.readFileSync(`${a}/${f}`)))) === JSON.stringify(strip(JSON.parse(fs.readFileSync(`${b}/${f}`))));
        console.log(`${f}: ${eq ? "same" : "DIFFERENT"}`); same &&= eq;
      }
      process.exit(same ? 0 : 1);' "$2" "$3" ;;
  *) echo "usage: bash bench/sameResults.sh capture DIR | compare DIR_A DIR_B" >&2; exit 2 ;;
esac
