#!/usr/bin/env bash
# Runs the README's test command (scripts/test.sh) again and again, each time in a fresh clone of
# one commit, to find tests that fail by chance or with the machine's BLAS. Every run appends a line
# to OUT/runs.tsv and its failing tests to OUT/failures.tsv; `--summary` prints the table of both.
#
#   bash scripts/suite-repeat.sh --runs 5 --blas openblas              # five runs with OpenBLAS
#   bash scripts/suite-repeat.sh --runs 3 --blas reference --load 1    # one core kept busy meanwhile
#   bash scripts/suite-repeat.sh --summary                             # the table so far
#
# Options:
#   --runs N           runs to do (1)
#   --commit REF       the commit to clone (HEAD of this checkout)
#   --blas B           reference | openblas | system: which libblas.so.3 libtorch loads, forced
#                      with its LAPACK through LD_LIBRARY_PATH (system: whatever Debian's
#                      alternatives point at)
#   --load K           K busy processes (one core each) run beside the suite, as on a developer's
#                      machine where another CPU-heavy job runs (0)
#   --fresh-install    run set-up in full in each clone (npm ci, the addon build); without it, each
#                      clone gets hard-linked copies of this checkout's node_modules and addon
#                      build (same lock file and native sources checked first), and set-up skips them
#   --seed DIR         the checkout whose node_modules and addon build the clones reuse (this one)
#   --out DIR          where the logs and tables go (/tmp/tsnas-suite-repeat)
#   --summary          print the tables of OUT and stop
set -euo pipefail
cd "$(dirname "$0")/.."
here="$(pwd)"

runs=1
commit=HEAD
blas=system
load=0
fresh=0
out=/tmp/tsnas-suite-repeat
summary=0
seed="$here"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --commit) commit="$2"; shift 2 ;;
    --blas) blas="$2"; shift 2 ;;
    --load) load="$2"; shift 2 ;;
    --fresh-install) fresh=1; shift ;;
    --out) out="$2"; shift 2 ;;
    --seed) seed="$(cd "$2" && pwd)"; shift 2 ;;
    --summary) summary=1; shift ;;
    *) echo "suite-repeat.sh: unknown option '$1' (see the comment at the top of the script)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

if [ "$summary" = 1 ]; then
  exec node scripts/suite-repeat-summary.mjs "$out"
fi

case "$blas" in
  reference) blasdir=/usr/lib/x86_64-linux-gnu/blas:/usr/lib/x86_64-linux-gnu/lapack ;;
  openblas) blasdir=/usr/lib/x86_64-linux-gnu/openblas-pthread ;;
  system) blasdir="" ;;
  *) echo "suite-repeat.sh: --blas must be reference, openblas or system, not '$blas'" >&2; exit 2 ;;
esac
if [ -n "$blasdir" ] && [ ! -f "${blasdir%%:*}/libblas.so.3" ]; then
  pkg=libblas3; [ "$blas" = openblas ] && pkg=libopenblas0-pthread
  echo "suite-repeat.sh: $blasdir/libblas.so.3 is missing: apt-get install $pkg" >&2
  exit 1
fi

sha="$(git rev-parse --verify "$commit^{commit}")"
if [ ! -f "$out/runs.tsv" ]; then
  printf 'run\tcommit\tblas\tload\tstarted\tseconds\texit\ttests\tpass\tfail\n' > "$out/runs.tsv"
fi
[ -f "$out/failures.tsv" ] || printf 'run\tcommit\tblas\tload\tfile\ttest\tmessage\n' > "$out/failures.tsv"

for ((i = 1; i <= runs; i++)); do
  id="$(date -u +%Y%m%dT%H%M%S)-${sha:0:7}-$blas-load$load"
  work="$(mktemp -d "${TMPDIR:-/tmp}/tsnas-suite-XXXXXX")"
  # Readable by all, as a checkout usually is: a test runs tsnas as user nobody (mktemp makes it 700).
  chmod 755 "$work"
  git clone -q --no-checkout "$here" "$work/tsnas"
  git -C "$work/tsnas" checkout -q "$sha"
  if [ "$fresh" = 0 ]; then
    # The install and the addon build depend on the lock file and the native sources only: reuse them
    # when those are the same as the seed's, so a run costs the tests, not a reinstall.
    if cmp -s "$seed/package-lock.json" "$work/tsnas/package-lock.json" && diff -rq "$seed/native/src" "$work/tsnas/native/src" >/dev/null \
      && [ -f "$seed/node_modules/.package-lock.json" ] && [ -f "$seed/native/build/Release/tsnas_native.node" ]; then
      cp -al "$seed/node_modules" "$work/tsnas/node_modules"
      mkdir -p "$work/tsnas/native/build"
      cp -r "$seed/native/build/." "$work/tsnas/native/build/"
      touch "$work/tsnas/native/build/Release/tsnas_native.node" "$work/tsnas/node_modules/.package-lock.json"
    else
      echo "[suite-repeat] $id: lock file or native sources differ from $seed's: full set-up" >&2
    fi
  fi
  spinners=()
  for ((k = 0; k < load; k++)); do
    node -e 'for (;;) {}' &
    spinners+=("$!")
  done
  echo "[suite-repeat] $id: running scripts/test.sh in $work/tsnas (BLAS $blas, load $load)" >&2
  start=$(date +%s)
  set +e
  (
    cd "$work/tsnas"
    if [ -n "$blasdir" ]; then export LD_LIBRARY_PATH="$blasdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
    TSNAS_TEST_TAP="$out/$id.tap" bash scripts/test.sh
  ) > "$out/$id.log" 2>&1
  rc=$?
  set -e
  secs=$(($(date +%s) - start))
  for p in "${spinners[@]}"; do kill "$p" 2>/dev/null || true; done
  node scripts/suite-repeat-summary.mjs "$out" --record "$id" "$sha" "$blas" "$load" "$(date -u -d "@$start" +%FT%TZ)" "$secs" "$rc"
  rm -rf "$work"
done
