#!/usr/bin/env bash
# bench/ivr: concurrent phone calls, each submitting a reading for its own account by SIP INFO
# DTMF (SIPp), against `meterdesk serve` with the phone line on loopback. Reports whether every
# call's reading arrived intact (zero lost digits), the wall time, and meterdesk's CPU time and
# peak memory per call. Calls start RATE a second (20) and last about 30 s, so all are up at once.
#   bench/ivr/run.sh [CALLS]        (default 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=${1:-100}
scripts/deps.sh bench
command -v sipp >/dev/null || { echo "sipp (Debian sip-tester) is needed" >&2; exit 1; }
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target meterdesk prompts
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; [[ -n "${KEEP:-}" ]] || rm -rf "$tmp"' EXIT

python3 - "$calls" > "$tmp/accounts.csv" <<'PY'
import sys
n = int(sys.argv[1])
def check(eic15):
    total = 0
    for k, c in enumerate(eic15):
        v = int(c) if c.isdigit() else ord(c) - 55
        total += v * (16 - k)
    r = 36 - ((total - 1) % 37)
    return None if r == 36 else (str(r) if r < 10 else chr(55 + r))
print("account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial")
for i in range(1, n + 1):
    bump = 0
    while True:
        eic15 = "62Z%012d" % (1000000 + i * 10 + bump)
        c = check(eic15)
        if c: break
        bump += 1
    print(f"{i:010d},Bench {i},,,Odesa,{eic15}{c},S{i:07d},1,5,2025-01-10,1000")
PY
{
  echo SEQUENTIAL
  for i in $(seq 1 "$calls"); do
    a=$(printf '%010d' "$i"); s=$(printf '%04d' "$i")
    printf '3805%08d' "$i"; for d in $(echo "$a$s" | grep -o .); do printf ';%s' "$d"; done; echo ';'
  done
} > "$tmp/callers.csv"
keys="2,"; for f in $(seq 1 10); do keys+="[field$f]"; done; keys+="#"
# The value and #, 1 at the read-back, 0 after the receipt (goodbye).
for f in $(seq 11 14); do keys+="[field$f]"; done; keys+="#1100#,1,0"
# Callers press 2 once the greeting plays (3 s after the answer), as people do.
python3 bench/ivr/scenario.py info "$keys" --start-pause 3000 > "$tmp/calls.xml"

build/meterdesk import-accounts "$tmp/accounts.csv" --db "$tmp/ivr.db" --now 2026-01-10T12:00:00 >/dev/null
METERDESK_LOG_LEVEL=${LOG_LEVEL:-info} METERDESK_IVR_LISTEN=127.0.0.1:5070 METERDESK_IVR_MAX_CALLS=$((calls + 10)) \
  build/meterdesk serve --db "$tmp/ivr.db" --listen 127.0.0.1:0 --now 2026-11-30T10:00:00+02:00 \
  > "$tmp/serve.log" 2>&1 &
server=$!
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
start=$(date +%s.%N)
sipp 127.0.0.1:5070 -sf "$tmp/calls.xml" -inf "$tmp/callers.csv" -i 127.0.0.1 -p 5170 \
  -mi 127.0.0.1 -mp 40000 -m "$calls" -l "$calls" -r "${RATE:-20}" -nostdin -trace_err \
  -max_socket 4096 > "$tmp/sipp.out" 2>&1 && sipp_ok=yes || sipp_ok=no
end=$(date +%s.%N)
after=$(ticks)
rss=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$server/status")
stored=$(sqlite3 "$tmp/ivr.db" "SELECT count(*) FROM submissions WHERE channel = 'ivr' AND v1 = 1100")
distinct=$(sqlite3 "$tmp/ivr.db" "SELECT count(DISTINCT account_id) FROM submissions WHERE channel = 'ivr'")
cpu=$(echo "($after - $before) / $hz" | bc -l)
echo "work dir: $tmp"
printf 'calls %d at once: sipp all successful: %s; readings stored intact: %d (%d accounts)\n' \
  "$calls" "$sipp_ok" "$stored" "$distinct"
printf 'wall %.1f s; meterdesk CPU %.2f s in all, %.1f ms per call; peak RSS %.0f MiB\n' \
  "$(echo "$end - $start" | bc -l)" "$cpu" "$(echo "$cpu * 1000 / $calls" | bc -l)" "$rss"
[[ $sipp_ok == yes && $stored == "$calls" ]]
