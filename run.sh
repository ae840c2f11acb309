#!/usr/bin/env bash
# Builds meterdesk, creates a demo database (once) and serves it on http://127.0.0.1:8080.
# Environment: PORT (default 8080), DEMO_ACCOUNTS (default 2000), DB (default demo/meterdesk.db).
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
# The same configuration as test.sh, so the two never flip each other's build cache.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target meterdesk

db=${DB:-demo/meterdesk.db}
port=${PORT:-8080}
mkdir -p "$(dirname "$db")"
if [[ ! -f "$db" ]]; then
  build/meterdesk demo-data --accounts "${DEMO_ACCOUNTS:-2000}" --db "$db" | tee demo/accounts.txt
  # A demo console user; a real installation creates its own with `meterdesk user add`.
  echo 'demo-password' | build/meterdesk user add --db "$db" --login demo --role admin
fi
line=$(grep -m1 '2 zones' demo/accounts.txt 2>/dev/null || true)
account=$(awk '{print $2}' <<<"$line")
serial=$(awk '{print $4}' <<<"$line")
try=$(sed -n 's/.*try: //p' <<<"$line")
account=${account:-0100000002}
serial=${serial:-G1000014}
try=${try:-'{"day":1,"night":1}'}
cat <<EOT

meterdesk is starting on http://127.0.0.1:$port  (Ctrl-C stops it)

  Web form:  http://127.0.0.1:$port/submit   (account $account, meter $serial)
  Cabinet:   http://127.0.0.1:$port/account  (sign up with the same two numbers)
  Console:   http://127.0.0.1:$port/operator (login demo, password demo-password)

  Health:   curl http://127.0.0.1:$port/healthz
  Metrics:  curl http://127.0.0.1:$port/metrics
  History:  curl 'http://127.0.0.1:$port/api/v1/accounts/$account/readings?meter_serial=$serial'
  Submit a reading (send it twice: the Idempotency-Key makes the second a replay):
    curl -i -X POST http://127.0.0.1:$port/api/v1/readings -H 'Content-Type: application/json' \\
         -H 'Accept-Language: en' -H "Idempotency-Key: demo-1" \\
         -d '{"account":"$account","meter_serial":"$serial","readings":$try}'
  A rejected one (lower than the last reading, which the answer shows):
    curl -X POST http://127.0.0.1:$port/api/v1/readings -H 'Content-Type: application/json' \\
         -d '{"account":"$account","meter_serial":"$serial","readings":{"day":1,"night":1}}'
  Demo accounts: demo/accounts.txt

EOT
exec build/meterdesk serve --db "$db" --listen "127.0.0.1:$port"
