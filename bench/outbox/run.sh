#!/usr/bin/env bash
# Builds meterdesk in Release and runs the outbox benchmark (3,000,000 sent messages by default:
# about a year of a region's bot messages; the first run generates them in /tmp and keeps them).
#   bench/outbox/run.sh [--sent N] [--db PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_outbox
exec build/bench/bench_outbox "$@"
