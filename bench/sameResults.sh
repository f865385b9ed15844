#!/usr/bin/env bash
# Captures small deterministic runs whose numbers a refactoring must not change, and compares two
# captures. Used for the search-layer reshaping (issue 10): before and after every merge, the
# trials (architectures, sources, metrics, epochs) and the DNAS records were equal but for timings.
#   bash bench/sameResults.sh capture DIR     # four runs (a 2-epoch DNAS search, evolution, random, train)
#   bash bench/sameResults.sh capture-supernets DIR   # two more (2 NSE rounds, a small SPOS): their state
#                                                     # holds the one-shot accuracies (~3 min on a loaded machine)
#   bash bench/sameResults.sh compare DIR_A DIR_B     # the supernets' files too when both captured them
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
  capture-supernets)
    out=$2; mkdir -p "$out"; w=$(mktemp -d); t="node bin/tsnas.js"
    $t search nse --space fbnet-s --data fashion-mnist --epochs 1 --rounds 2 --subset-size 3 --keep 1 --supernet-limit-train 400 \
      --supernet-threads 1 --train-epochs 1 --limit-train 300 --threads 1 --seed 3 --store "$w/n.db" --study n --json > "$out/nse.json"
    $t search spos --space fbnet-s --data fashion-mnist --epochs 1 --population 6 --generations 2 --parents 3 --mutants 2 --crossovers 2 \
      --retrain 1 --supernet-limit-train 400 --supernet-threads 1 --recal-batches 2 --train-epochs 1 --limit-train 300 --threads 1 --seed 3 \
      --store "$w/s.db" --study s --json > "$out/spos.json"
    node -e '
      const D = require("better-sqlite3"); const [w, out] = process.argv.slice(1); const res = {};
      for (const [f, s] of [["n.db", "n"], ["s.db", "s"]]) {
        const c = new D(`${w}/${f}`, { readonly: true });
        const id = c.prepare("select id from studies where name = ?").get(s).id;
        res[s] = {
          trials: c.prepare("select number, arch, source, flops, params, latency_us, metrics, epochs, state from trials where study_id = ? order by number").all(id),
          state: Object.fromEntries(c.prepare("select key, value from strategy_state where study_id = ?").all(id).map((r) => [r.key, r.value])),
        };
      }
      require("fs").writeFileSync(`${out}/supernets.json`, JSON.stringify(res));' "$w" "$out"
    echo "captured in $out" ;;
  compare)
    node -e '
      const fs = require("fs"); const [a, b] = process.argv.slice(1);
      const TIMING = new Set(["seconds", "imgPerSec", "trainSeconds", "measuredLatencyUs", "measuredP25Us", "measuredP75Us", "store", "checkpoint", "final", "report.sections"]);
      const strip = (v) => JSON.parse(JSON.stringify(v, (k, x) => (TIMING.has(k) ? undefined : typeof x === "string" && /^[\[{]/.test(x) ? strip(JSON.parse(x)) : x)));
      let same = true;
      const both = (f) => fs.existsSync(`${a}/${f}`) && fs.existsSync(`${b}/${f}`);
      for (const f of ["dnas.json", "evo.json", "rnd.json", "train.json", "db.json", ...["nse.json", "spos.json", "supernets.json"].filter(both)]) {
        const eq = JSON.stringify(strip(JSON.parse(fs.readFileSync(`${a}/${f}`)))) === JSON.stringify(strip(JSON.parse(fs.readFileSync(`${b}/${f}`))));
        console.log(`${f}: ${eq ? "same" : "DIFFERENT"}`); same &&= eq;
      }
      process.exit(same ? 0 : 1);' "$2" "$3" ;;
  *) echo "usage: bash bench/sameResults.sh capture DIR | capture-supernets DIR | compare DIR_A DIR_B" >&2; exit 2 ;;
esac
