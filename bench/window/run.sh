#!/usr/bin/env bash
# Builds meterdesk in Release and runs the window benchmark. Arguments pass through, e.g.
#   bench/window/run.sh --quick
#   bench/window/run.sh --db postgresql://postgres@127.0.0.1:55432/postgres
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_window meterdesk
exec build/bench/bench_window "$@"
