#!/usr/bin/env bash
# Builds meterdesk, creates a demo database (once) and serves it on http://127.0.0.1:8080.
# Environment: PORT (default 8080), DEMO_ACCOUNTS (default 2000), DB (default demo/meterdesk.db).
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_TESTS=OFF -DMETERDESK_BENCH=OFF >/dev/null
cmake --build build --target meterdesk

db=${DB:-demo/meterdesk.db}
port=${PORT:-8080}
mkdir -p "$(dirname "$db")"
if [[ ! -f "$db" ]]; then
  build/meterdesk demo-data --accounts "${DEMO_ACCOUNTS:-2000}" --db "$db" | tee demo/accounts.txt
fi
account=$(awk '/account/ && /2 zones/ {print $2; exit}' demo/accounts.txt 2>/dev/null || true)
serial=$(awk '/account/ && /2 zones/ {print $4; exit}' demo/accounts.txt 2>/dev/null || true)
account=${account:-0100000002}
serial=${serial:-G1000014}
cat <<EOT

meterdesk is starting on http://127.0.0.1:$port  (Ctrl-C stops it)

  Health:   curl http://127.0.0.1:$port/healthz
  Metrics:  curl http://127.0.0.1:$port/metrics
  History:  curl 'http://127.0.0.1:$port/api/v1/accounts/$account/readings?meter_serial=$serial'
  Submit (look up the last values in the history first, then add a little to each):
    curl -i -X POST http://127.0.0.1:$port/api/v1/readings -H 'Content-Type: application/json' \\
         -H 'Accept-Language: en' -H "Idempotency-Key: \$(date +%s)" \\
         -d '{"account":"$account","meter_serial":"$serial","readings":{"day":1,"night":1}}'
    (that one is rejected as lower than the last reading, with the last reading shown)
  Demo accounts: demo/accounts.txt

EOT
exec build/meterdesk serve --db "$db" --listen "127.0.0.1:$port"
