#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a local socket, for the history store's
# tests (crates/vital-store, tests/cli_history.rs).
#
#   url=$(bash .ci/postgres.sh start DIR)   # installs Debian's postgresql if
#                                           # needed; prints the URL for
#                                           # VITAL_TEST_PG_URL
#   bash .ci/postgres.sh stop DIR           # stops it and removes DIR
#
# initdb and the server refuse to run as root: they run as the `postgres`
# user the Debian package creates. The server listens on a socket in DIR
# only (no TCP), with trust authentication.
set -euo pipefail

cmd="${1:?usage: postgres.sh start|stop DIR}"
dir="${2:?usage: postgres.sh start|stop DIR}"

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$d" && -x "$d/initdb" ]] || return 1
  printf '%s\n' "$d"
}

as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if ! bindir >/dev/null; then
      echo "postgres.sh: installing Debian's postgresql" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    fi
    bin="$(bindir)"
    mkdir -p "$dir"
    if [[ "$(id -u)" == 0 ]]; then
      chown postgres: "$dir"
    fi
    as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -c listen_addresses= -F -c max_connections=200" start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    # the socket directory as the URL's host, percent-encoded
    printf 'postgresql://postgres@%s/postgres\n' "${dir//\//%2F}"
    ;;
  stop)
    if bin="$(bindir)" && [[ -d "$dir/data" ]]; then
      as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
