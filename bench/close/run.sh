#!/usr/bin/env bash
# Builds meterdesk in Release and runs the close benchmark (1,000,000 metering points by default;
# the first run generates the history, about 3 GB in /tmp, and keeps it for later runs).
#   bench/close/run.sh [--points N] [--db PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_close
exec build/bench/bench_close "$@"
