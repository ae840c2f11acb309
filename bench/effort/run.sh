#!/usr/bin/env bash
# bench/effort: the customer's effort per channel for a 2-zone reading (issue 33's table):
# actions, the bot's messages, the phone's seconds of prompts and of the call. The numbers and
# the goals they are held to are in docs/benchmarks.md.
#   bench/effort/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build --target bench_effort prompts
build/bench/bench_effort build/prompts
