#!/usr/bin/env bash
# The main job: a latency-aware FBNet search (DNAS) on Fashion-MNIST, end to end, on this CPU,
# ending with a network set against the hand-designed fbnet-s-baseline:
#   1. a latency lookup table of the fbnet-s space, measured here (1 thread, batch 1);
#   2. the budget: BUDGET x fbnet-s-baseline's table latency; without BUDGET, the lowest budget at
#      which the space's front (bench/results/space-front.json) holds a network that beats the
#      baseline's mean test accuracy over 3 seeds (0.5x when the front has no answer): below it,
#      none of the networks the front trained does, so a search there cannot be expected to;
#   3. the stochastic supernet trained with the latency-aware loss (a few epochs on a subset, the
#      temperature annealed only to where the supernet still trains: docs/fbnet.md, "What a short
#      search does");
#   4. the most probable architecture within 90-100% of the budget (FLOOR) and samples of the
#      learned distribution conditioned on that band, each trained briefly on the subset; the best
#      by validation accuracy is the result (a short search leaves the distribution near uniform,
#      and its draws under the whole budget lie around 0.6x the baseline's latency, where the
#      space's networks are less accurate: BENCHMARKS.md, "The main job's network worth shipping");
#   5. final training: the result and fbnet-s-baseline, each trained with the same final recipe
#      (FINAL_EPOCHS epochs on all 60,000 training images, EMA), then tested on the 10,000 test
#      images and timed; the result stated against the baseline;
#   6. the study's HTML report (the final networks marked on its Pareto chart).
# 12-16 minutes on 2 idle cores (BENCHMARKS.md, "The main job over search seeds"). Everything lands
# in runs/quickstart/; a killed run continues with
#   npx tsnas search --resume <study> --store runs/quickstart/tsnas.db
# Environment knobs: BUDGET (x the baseline's table latency), TARGET_LATENCY (us; instead of BUDGET),
# SEED, SEARCH_EPOCHS, SEARCH_LIMIT_TRAIN, BETA, THETA_LR, SAMPLES, FLOOR (0.9: the proposals' lowest
# latency as a share of the budget; FLOOR= for none), TRAIN_EPOCHS, LIMIT_TRAIN,
# FINAL_EPOCHS, FINAL_LIMIT_TRAIN (a reduced final training), FINAL_SEEDS (train each network that many
# times: the statement on the means, with the spread and Welch's t-test), DISTILL=1 (the result learns
# from fbnet-s-baseline's predictions, run k from its run k: --distill-from), THREADS (2; 1 on a loaded machine), OUT (the
# output directory), LUT (a latency table to use, measured here when missing), SKIP_SETUP=1
# (no set-up step: a checkout that shares another's build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_SETUP:-}" ]; then bash scripts/setup.sh; fi
started=$(date +%s)

out=${OUT:-runs/quickstart}
lut=${LUT:-$out/fbnet-s-1x28x28-t1.lut.json}
mkdir -p "$out"
if [ ! -f "$lut" ]; then
  npx --no-install tsnas lut build fbnet-s --input 1x28x28 --threads 1 -o "$lut"
fi
# The baseline's table latency on this machine, and the budget as a share of it.
baseline_us=$(npx --no-install tsnas cost fbnet-s fbnet-s-baseline --input 1x28x28 --lut "$lut" --json |
  node -e 'process.stdout.write(String(Math.round(JSON.parse(require("fs").readFileSync(0, "utf8")).latencyUs)))')
# The default budget: the front's lowest answered budget where a network beats the baseline's mean.
front=bench/results/space-front.json
front_budget=$(node -e '
const fs = require("fs");
if (!fs.existsSync(process.argv[1])) process.exit(0);
const a = (JSON.parse(fs.readFileSync(process.argv[1], "utf8")).answers ?? []).filter((x) => x.beats);
if (a.length) process.stdout.write(String(Math.min(...a.map((x) => x.fraction))));
' "$front")
budget=${BUDGET:-${front_budget:-0.5}}
target=${TARGET_LATENCY:-$(awk -v b="$baseline_us" -v f="$budget" 'BEGIN { printf "%d", b * f }')}
if [ -z "${BUDGET:-}${TARGET_LATENCY:-}" ] && [ -n "$front_budget" ]; then
  echo "main job: the budget is ${budget}x, the lowest at which the space's front ($front) found a network that beats fbnet-s-baseline's mean over 3 seeds (BUDGET=0.5 asks for half the latency anyway)" >&2
fi
echo "main job: fbnet-s-baseline's table latency here is ${baseline_us} us; the budget is ${target} us" >&2
seed=${SEED:-0}
study="fbnet-quickstart-$(date +%Y%m%d-%H%M%S)-s$seed"
# A short search: the temperature falls from 5 to 1.5 (not to the paper's 0.09: with a distribution
# still near uniform, a low temperature turns the supernet into random single paths and its
# accuracy collapses), Adam moves the logits further per step, and the proposals are the most
# probable architectures within 90-100% of the budget (docs/fbnet.md, "What a short search does";
# without the floor they were the near-uniform distribution's draws, around 0.6x the baseline).
epochs="${SEARCH_EPOCHS:-4}"
floor=${FLOOR-0.9}
tau_decay=$(awk -v n="$epochs" 'BEGIN { printf "%.3g", log(5 / 1.5) / (n - 1) }')
npx --no-install tsnas search dnas --space fbnet-s --data fashion-mnist --lut "$lut" --seed "$seed" \
  --epochs "$epochs" --warmup "${WARMUP:-1}" --tau-decay "$tau_decay" --theta-lr "${THETA_LR:-0.1}" --beta "${BETA:-0.6}" \
  --search-limit-train "${SEARCH_LIMIT_TRAIN:-4000}" --target-latency "$target" \
  --samples "${SAMPLES:-2}" ${floor:+--target-latency-floor "$floor"} --train-epochs "${TRAIN_EPOCHS:-3}" --limit-train "${LIMIT_TRAIN:-6000}" \
  --final-epochs "${FINAL_EPOCHS:-2}" ${FINAL_LIMIT_TRAIN:+--final-limit-train "$FINAL_LIMIT_TRAIN"} \
  ${FINAL_SEEDS:+--final-seeds "$FINAL_SEEDS"} --reference fbnet-s-baseline ${DISTILL:+--distill-from fbnet-s-baseline} \
  --threads "${THREADS:-2}" --study "$study" --store "$out/tsnas.db" --json >"$out/$study.json"
npx --no-install tsnas study report "$study" --store "$out/tsnas.db" -o "$out/$study.html"
echo "report: $out/$study.html"
# The last lines: the result against the baseline, and the time taken.
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").at(-1));
for (const c of r.finalTraining?.comparisons ?? []) console.log(c.text);
' "$out/$study.json"
# What the space holds at this budget: the front of random architectures trained with this final
# recipe (bench/spaceFront.ts; BENCHMARKS.md, "The space's front"), when it answered this budget.
# At half the baseline's latency too, when the budget is another: why the job is not there.
if [ -z "${TARGET_LATENCY:-}" ]; then node -e '
const fs = require("fs");
const [file, fraction] = [process.argv[1], Number(process.argv[2])];
if (!fs.existsSync(file)) process.exit(0);
const front = JSON.parse(fs.readFileSync(file, "utf8"));
for (const f of [...new Set([0.5, fraction])].sort((x, y) => x - y)) {
  const a = (front.answers ?? []).find((x) => Math.abs(x.fraction - f) < 1e-9);
  if (a)
    console.log(
      `the space front (${file}, ${front.trained.networks} random networks, on a table where the baseline takes ${(front.plan.baselineUs / 1000).toFixed(2)} ms): ${a.text}`,
    );
}
' "$front" "$budget"; fi
# The same job over seeds (bench/mainJob.sh): its results' mean against the baseline's over the same
# seeds, at this budget, when it was measured there. One run's statement rests on one training seed.
seeds_file=bench/results/main-job-seeds.json
if [ -z "${TARGET_LATENCY:-}" ]; then node -e '
const fs = require("fs");
const [file, fraction] = [process.argv[1], Number(process.argv[2])];
if (!fs.existsSync(file)) process.exit(0);
const b = (JSON.parse(fs.readFileSync(file, "utf8")).budgets ?? []).find((x) => Math.abs(Number(x.budget) - fraction) < 1e-9);
if (b) console.log(`this job over seeds (${file}): ${b.text}`);
' "$seeds_file" "$budget"; fi
echo "main job: $(( $(date +%s) - started )) s in all (budget ${target} us = ${budget} x the baseline's ${baseline_us} us, seed ${seed})"
