#!/usr/bin/env bash
# Start a throwaway system PostgreSQL 15 (a second major version for the
# tests) as an unprivileged user, and print its DSN on stdout.
#   usage: eval "$(scripts/pg15.sh start DIR)"   -> exports SCHEMADIFF_TEST_DSN, SCHEMADIFF_TEST_PSQL
#          scripts/pg15.sh stop DIR
set -euo pipefail
BIN=${PG15_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?start|stop}
dir=${2:?directory}

as_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$RUN_AS" -- "$@"
  else
    "$@"
  fi
}

RUN_AS=postgres
if [ "$(id -u)" = 0 ] && ! id "$RUN_AS" >/dev/null 2>&1; then
  RUN_AS=schemadiff-ci
  id "$RUN_AS" >/dev/null 2>&1 || useradd --system --no-create-home "$RUN_AS"
fi

case "$cmd" in
  start)
    if [ ! -x "$BIN/initdb" ]; then
      echo "pg15.sh: no PostgreSQL 15 server in $BIN" >&2
      exit 2
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$RUN_AS" "$dir"
    as_user "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1
    as_user "$BIN/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
      -o "-k $dir -h '' -c fsync=off -c full_page_writes=off" start >/dev/null
    echo "export SCHEMADIFF_TEST_DSN='postgresql://postgres@/postgres?host=$dir'"
    echo "export SCHEMADIFF_TEST_PSQL='$BIN/psql'"
    ;;
  stop)
    as_user "$BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    ;;
esac
