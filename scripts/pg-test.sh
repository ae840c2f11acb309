#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster on 127.0.0.1 for the tests and benchmarks.
#   scripts/pg-test.sh start [DIR] [PORT]   initdb + start; prints the URL
#   scripts/pg-test.sh stop  [DIR]          stop and delete it
# For the failover test, a primary with a synchronous streaming standby:
#   scripts/pg-test.sh start DIR PORT sync          a primary waiting for the standby "standby1"
#   scripts/pg-test.sh standby DIR PORT PRIMARY_PORT  a streaming copy of it, named standby1
#   scripts/pg-test.sh crash DIR                    the server stops at once, as at a power cut
#   scripts/pg-test.sh promote DIR                  the standby becomes the primary
#   scripts/pg-test.sh restart DIR PORT             crash, then start again (crash recovery)
# As root it runs the server as the `postgres` user (PostgreSQL refuses to run as root).
# Synchronous commit and fsync stay on: the numbers it gives are durable ones.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:-/tmp/meterdesk-pg}
port=${3:-55432}
bin=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$bin/initdb" ] || bin=/usr/lib/postgresql/15/bin
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# A standby must allow at least what its primary does: both start with these.
options() {
  echo "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir" \
    "-c max_connections=300 -c shared_buffers=256MB -c max_wal_size=2GB"
}
case "$cmd" in
  start)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$dir/data" >"$dir/initdb.log"
    if [ "${4:-}" = sync ]; then
      # A commit returns only once standby1 has flushed it.
      echo "synchronous_standby_names = 'standby1'" >>"$dir/data/postgresql.auto.conf"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$(options)" start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  standby)
    primary=${4:?the port of the primary}
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir/data" -R -X stream
    echo "primary_conninfo = 'host=127.0.0.1 port=$primary user=postgres application_name=standby1'" \
      >>"$dir/data/postgresql.auto.conf"
    sed -i '/^synchronous_standby_names/d' "$dir/data/postgresql.auto.conf"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$(options)" start >/dev/null
    ;;
  crash)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$(options)" start >/dev/null
    ;;
  promote)
    as_owner "$bin/pg_ctl" -D "$dir/data" -w promote >/dev/null
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop|standby|crash|restart|promote DIR [PORT]" >&2; exit 2 ;;
esac
