#!/usr/bin/env bash
# How much the main job's final training moves with its seed alone (issue 14): the same
# architectures trained with the main job's final recipe (2 epochs on all 60,000 Fashion-MNIST
# training images, EMA 0.9893, no validation split; otherwise the default recipe) at several seeds
# of data order, augmentation and initialisation; test accuracy each. A study's final training
# uses the recipe's seed (0) whatever the study's seed, so seed 0 here must reproduce it.
#   bash bench/finalTrainingNoise.sh "fbnet-s-baseline skip/ir_k3_e3-..." "0 1 2"
# Knobs: OUT (runs/final-noise), THREADS (1), JOBS (1: trainings at a time), SPACE (fbnet-s),
# TRAIN_ARGS (instead of the main job's final recipe, e.g. "--epochs 5 --limit-train 10000": the
# NSE benchmark's stand-alone trainings, whose seed 0 it must then reproduce).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/final-noise}
mkdir -p "$out"
printf 'epochs: 2\nvalFraction: 0\nema: 0.9893162393162394\n' >"$out/final-recipe.yaml"
i=0
for arch in $1; do
  for seed in ${2:-0 1 2}; do
    while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-1}" ]; do wait -n || true; done
    dir=$out/a$i-s$seed
    # shellcheck disable=SC2086 # TRAIN_ARGS is a list of flags
    (npx --no-install tsnas train "${SPACE:-fbnet-s}" "$arch" --data fashion-mnist ${TRAIN_ARGS:---recipe $out/final-recipe.yaml} --seed "$seed" \
      --threads "${THREADS:-1}" -o "$dir" --json >"$dir.json" 2>"$dir.err" &&
      node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").at(-1));
        console.log(`| \`${process.argv[2]}\` | ${process.argv[3]} | ${(r.testAcc * 100).toFixed(2)}% |`);' \
        "$dir.json" "$arch" "$seed" >>"$out/table.md") &
  done
  i=$((i + 1))
done
wait || true
echo '| architecture | seed | test acc |'
echo '|---|---|---|'
sort "$out/table.md"
