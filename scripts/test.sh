#!/usr/bin/env bash
# The test command: set-up (idempotent), then every test with Node's built-in runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Formatting (Prettier), lint (typescript-eslint) and the layers (dependency-cruiser): docs/architecture.md.
npm run -s lint
# The API reference builds from the doc comments without a warning (a type the public API uses but
# never exports is one): typedoc.json, docs/library.md.
npm run -s docs:api
# One file at a time: tests time native code and check resident memory, which parallel files would disturb.
# The store tests run on SQLite and on PostgreSQL: a throwaway server (loopback, a free port, its own
# data directory in a temp directory, stopped afterwards) whose URL they get in TSNAS_TEST_POSTGRES.
# Only the *.test.js files: given a folder, Node's runner would also run helpers and fixture scripts as tests.
mapfile -t tests < <(find dist/test -name '*.test.js' | sort)
# TSNAS_TEST_TAP=FILE also writes the results as TAP to FILE (scripts/suite-repeat.sh reads it).
report=()
if [ -n "${TSNAS_TEST_TAP:-}" ]; then
  report=(--test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$TSNAS_TEST_TAP")
fi
exec bash scripts/with-postgres.sh node --expose-gc --test --test-concurrency=1 "${report[@]}" "${tests[@]}"
