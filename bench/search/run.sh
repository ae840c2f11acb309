#!/usr/bin/env bash
# Builds meterdesk in Release and runs the account search benchmark (1,000,000 accounts by default:
# a region's; the first run generates them in /tmp and keeps them).
#   bench/search/run.sh [--accounts N] [--db PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_search
exec build/bench/bench_search "$@"
