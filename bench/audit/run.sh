#!/usr/bin/env bash
# Builds meterdesk in Release and runs the audit search benchmark (12,000,000 records by default:
# a year of a region's; the first run generates them, about 2 GB in /tmp, and keeps them).
#   bench/audit/run.sh [--records N] [--db PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_audit
exec build/bench/bench_audit "$@"
