#!/usr/bin/env bash
# The long local run of one libFuzzer target (docs/reliability.md), in 30-minute chunks so that
# each chunk ends with libFuzzer's exact count (stat::number_of_executed_units) even when the
# machine stops mid-run; the chunks share the target's scratch corpus. A finding (crash, leak,
# UB, timeout) ends the loop and its input stays in OUTDIR. Runs at nice 19: it takes idle CPU.
#   fuzz/long.sh TARGET OUTDIR [N]   one process (N names it; run N=1 and N=2 on two cores)
#   fuzz/long.sh --total OUTDIR      the executions of all finished chunks in OUTDIR
# Build first: CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja
#   -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETERDESK_FUZZ=ON && cmake --build build-fuzz
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == --total ]]; then
  cat "$2"/*[0-9].summary 2>/dev/null | sed -n 's/.*number_of_executed_units: \([0-9]*\).*/\1/p' |
    awk '{s += $1} END {print s + 0}'
  exit 0
fi
target=${1:?target (e.g. dialog)}
out=${2:?output folder}
n=${3:-1}
mkdir -p "$out" "build-fuzz/corpus/$target"
cp -n "fuzz/corpus/$target"/* "build-fuzz/corpus/$target"/ 2>/dev/null || true
for ((k = 1; ; k++)); do
  log="$out/$target$n-$k.log"
  ASAN_OPTIONS=malloc_context_size=0:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    nice -n 19 "build-fuzz/fuzz/fuzz_$target" "build-fuzz/corpus/$target" -max_total_time=1800 \
    -max_len=65536 -timeout=600 -report_slow_units=100000 -artifact_prefix="$out/$target$n-" \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  echo "chunk $k rc=$rc $(grep number_of_executed_units "$log")" >>"$out/$target$n.summary"
  if [[ $rc -ne 0 ]] || compgen -G "$out/$target$n-crash-*" >/dev/null ||
    compgen -G "$out/$target$n-leak-*" >/dev/null || compgen -G "$out/$target$n-timeout-*" >/dev/null; then
    echo "fuzz_$target stopped (rc=$rc): see $log" >&2
    exit 1
  fi
done
