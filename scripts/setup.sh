#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: system packages, npm packages, the native addon and the
# TypeScript build. Each step runs only when something is missing or out of date.
#   bash scripts/setup.sh               # what tsnas needs to run and test
#   bash scripts/setup.sh --reference   # also Debian's PyTorch and ONNX, the references for benchmarks and fixtures
set -euo pipefail
cd "$(dirname "$0")/.."

reference=0
for a in "$@"; do
  case "$a" in
    --reference) reference=1 ;;
    *) echo "setup.sh: unknown option '$a' (valid: --reference)" >&2; exit 2 ;;
  esac
done

say() { printf '[setup] %s\n' "$*" >&2; }

# 1. System packages (Debian). TSNAS_LIBTORCH points at another libtorch (e.g. CUDA) instead.
need=()
if [ -z "${TSNAS_LIBTORCH:-}" ] && ! dpkg -s libtorch-dev >/dev/null 2>&1; then need+=(libtorch-dev); fi
if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then need+=(dataset-fashion-mnist); fi
# Headless Chromium: the report tests open the HTML reports in a real browser.
if ! dpkg -s chromium >/dev/null 2>&1; then need+=(chromium); fi
# The sqlite3 command line: a test opens a study store with it, as users do (stores must open in
# any SQLite still in wide use, not only the one better-sqlite3 bundles).
if ! dpkg -s sqlite3 >/dev/null 2>&1; then need+=(sqlite3); fi
# PostgreSQL's server: the store tests run against a throwaway one too (scripts/with-postgres.sh).
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then need+=(postgresql); fi
if [ "$reference" = 1 ] && ! dpkg -s python3-torch >/dev/null 2>&1; then need+=(python3-torch); fi
# Python's ONNX checker judges the exported models when the fixtures are regenerated (npm run fixtures).
if [ "$reference" = 1 ] && ! dpkg -s python3-onnx >/dev/null 2>&1; then need+=(python3-onnx); fi
if [ "${#need[@]}" -gt 0 ]; then
  say "installing Debian packages: ${need[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup.sh: need root to install ${need[*]}: run 'sudo apt-get install ${need[*]}' and retry" >&2; exit 1
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. npm packages, when node_modules is missing or older than the lock file. onnxruntime-node's
# CPU binaries ship in its npm package; ONNXRUNTIME_NODE_INSTALL=skip stops its install script
# from downloading the CUDA provider (large, and no registry of ours serves it).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi

# 3. The native addon, when missing, when its sources changed, or when the libtorch location did:
# native/install.js (what `npm install` of the package runs too) copies a build of the same sources
# for the same libtorch from its cache (~/.cache/tsnas/addon), or builds it with node-gyp.
addon=native/build/Release/tsnas_native.node
node native/install.js

# 4. TypeScript (incremental enough: a few seconds when nothing changed).
say "compiling TypeScript"
npx --no-install tsc -p tsconfig.json
# Drop compiled files whose source is gone (a deleted test must not keep running from dist/).
node -e '
  const fs = require("fs"), path = require("path");
  const walk = (d) => fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]) : [];
  for (const f of walk("dist")) {
    const src = f.slice(5).replace(/\.(js|d\.ts|js\.map)$/, ".ts");
    if (/\.(js|d\.ts|js\.map)$/.test(f) && !fs.existsSync(src)) fs.rmSync(f);
  }'
# 5. Which BLAS libtorch will call. Debian's libtorch links libblas.so.3, which Debian's alternatives
# point at the reference BLAS or at OpenBLAS (python3-torch's and numpy's recommends install it);
# float32 results differ between them in the last bits, and the tests hold with either.
blas="$(ldd "$addon" 2>/dev/null | awk '/libblas\.so|libopenblas|libmkl|libflexiblas|libblis/ && !f { f = $3 } END { print f }')"
if [ -n "$blas" ] && [ -e "$blas" ]; then
  real="$(readlink -f "$blas")"
  case "$real" in
    *openblas*) name=OpenBLAS ;;
    */blas/libblas*) name="the reference BLAS (Netlib)" ;;
    *mkl*) name=MKL ;;
    *) name="$real" ;;
  esac
  say "BLAS: $name ($real; 'update-alternatives --config libblas.so.3-$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)' switches it)"
else
  say "BLAS: none linked on its own (built into libtorch)"
fi
say "ready"
