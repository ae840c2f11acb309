#!/usr/bin/env bash
# Builds meterdesk in Release with the benchmarks and runs one of them with the rest of the
# arguments: what each bench/*/run.sh does.
#   bench/common/run.sh TARGET [ARGS…]
set -euo pipefail
target=${1:?a benchmark target, e.g. bench_close}
shift
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target "$target"
exec "build/bench/$target" "$@"
