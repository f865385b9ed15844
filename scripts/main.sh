#!/usr/bin/env bash
# The main job (for now, until the searches land): the engine benchmark, tsnas against PyTorch on
# the reference network, run alternately in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --reference
node dist/bench/compareEngine.js --rounds "${ROUNDS:-3}" --steps "${STEPS:-40}"
