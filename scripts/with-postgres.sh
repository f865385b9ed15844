#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: Debian's postgresql-15 binaries, its own data
# directory under a temp directory, listening on loopback only at a free port, stopped and removed
# afterwards (also when the command fails or is interrupted). The command gets the server's URL in
# TSNAS_TEST_POSTGRES (and PGHOST/PGPORT/PGUSER/PGDATABASE for psql).
#   bash scripts/with-postgres.sh node --test dist/test/study/
#   bash scripts/with-postgres.sh bash          # a shell with a server, for development
# As root, the server runs as the 'postgres' user (PostgreSQL refuses to run as root).
set -euo pipefail
if [ "$#" -eq 0 ]; then echo "usage: bash scripts/with-postgres.sh COMMAND [ARGS...]" >&2; exit 2; fi

bin="${TSNAS_PG_BIN:-}"
if [ -z "$bin" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/postgres" ] && bin="$d"; done
fi
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  echo "with-postgres.sh: no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin): run 'bash scripts/setup.sh' (installs postgresql), or set TSNAS_PG_BIN to the directory of postgres and initdb" >&2
  exit 1
fi

as=()
if [ "$(id -u)" = 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || { echo "with-postgres.sh: running as root needs the 'postgres' user (Debian's postgresql package makes it)" >&2; exit 1; }
  as=(runuser -u "$user" --)
else
  user="$(id -un)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tsnas-pg-XXXXXX")"
chmod 755 "$tmp"
data="$tmp/data"
mkdir "$data"
[ "$(id -u)" = 0 ] && chown "$user" "$tmp" "$data"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

stop() {
  "${as[@]}" "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap stop EXIT INT TERM

"${as[@]}" "$bin/initdb" -D "$data" -U tsnas --auth=trust -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; exit 1; }
"${as[@]}" "$bin/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c max_connections=200" start >/dev/null ||
  { cat "$tmp/server.log" >&2; exit 1; }

export TSNAS_TEST_POSTGRES="postgres://tsnas@127.0.0.1:$port/postgres"
# How a test restarts the server (fault tests): this command followed by pg_ctl arguments.
export TSNAS_TEST_POSTGRES_CTL="${as[*]} $bin/pg_ctl -D $data"
export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=tsnas PGDATABASE=postgres
set +e
"$@"
rc=$?
exit $rc
