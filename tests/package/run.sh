#!/usr/bin/env bash
# Builds the Debian package from the Release build, checks it with lintian, unpacks it into a
# scratch root and runs it there as its systemd unit would (as an unprivileged user, with the
# packaged configuration), then checks /healthz and a clean SIGTERM.
# Usage: tests/package/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
(cd "$build" && cpack -G DEB >/dev/null 2>&1)
deb=$(ls "$build"/meterdesk_*_amd64.deb)
echo "package: $deb ($(du -h "$deb" | cut -f1))"

lintian --fail-on error,warning --tag-display-limit 0 "$deb" 2>&1 | grep -v 'root privileges' || true
lintian --fail-on error,warning "$deb" >/dev/null 2>&1 || { echo "lintian found problems" >&2; exit 1; }

fields=$(dpkg-deb -f "$deb" Depends)
for lib in libsqlite3-0 libsodium23 libprometheus-cpp-core adduser; do
  grep -q "$lib" <<<"$fields" || { echo "Depends lacks $lib: $fields" >&2; exit 1; }
done

root=$(mktemp -d)
state=$(mktemp -d)
chmod 755 "$root"
pid=""
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$root" "$state"' EXIT
dpkg-deb -x "$deb" "$root"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/meterdesk/meterdesk.toml \
  || { echo "the configuration is not a conffile" >&2; exit 1; }
unit="$root/usr/lib/systemd/system/meterdesk.service"
for line in 'Type=notify' 'Restart=on-failure' 'ProtectSystem=strict' 'NoNewPrivileges=true' \
            'PrivateTmp=true' 'StateDirectory=meterdesk' 'User=meterdesk'; do
  grep -qx "$line" "$unit" || { echo "the unit lacks $line" >&2; exit 1; }
done
# Required, not skipped when absent (scripts/deps.sh test installs Debian's systemd for it).
command -v systemd-analyze >/dev/null || { echo "systemd-analyze (Debian systemd) is needed" >&2; exit 1; }
# The binary is not installed at /usr/bin here; anything else it says is a fault in the unit.
if systemd-analyze verify --man=no "$unit" 2>&1 | grep -v 'is not executable'; then
  echo "systemd-analyze verify found problems in the unit" >&2
  exit 1
fi

# As the unit does it: migrate, then serve, with the packaged configuration, not as root.
chown nobody:nogroup "$state"
as_service() { setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs "$@"; }
config="$root/etc/meterdesk/meterdesk.toml"
as_service "$root/usr/bin/meterdesk" migrate --config "$config" --db "$state/meterdesk.db"
# setpriv execs meterdesk: $! is the server itself, as systemd's main PID would be.
METERDESK_SERVER_LISTEN=127.0.0.1:0 setpriv --reuid=nobody --regid=nogroup --clear-groups \
  --no-new-privs "$root/usr/bin/meterdesk" serve --config "$config" --db "$state/meterdesk.db" \
  >"$state/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$state/log" | grep -o '[0-9]*$' || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$state/log"; echo "the packaged binary did not start" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q '"status":"ok"'
grep -q '^{' "$state/log" || { echo "the packaged configuration asks for JSON logs" >&2; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 0 ]] || { cat "$state/log"; echo "exit status $status after SIGTERM" >&2; exit 1; }
echo "package: lintian clean, installs into a scratch root, serves /healthz, stops on SIGTERM"
