#!/usr/bin/env bash
# Builds meterdesk in Release and runs the webhook benchmark. Arguments pass through, e.g.
#   bench/webhooks/run.sh --chats 20000 --duration 10 --connections 64
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_webhooks meterdesk
exec build/bench/bench_webhooks "$@"
