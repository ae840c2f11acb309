#!/usr/bin/env bash
# Builds meterdesk in Release and runs the ingest benchmark. Arguments pass through, e.g.
#   bench/ingest/run.sh --accounts 20000 --duration 10 --connections 64
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_ingest meterdesk
exec build/bench/bench_ingest "$@"
