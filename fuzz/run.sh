#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each from its committed corpus.
#   fuzz/run.sh                 CI: 20 s per target
#   fuzz/run.sh --seconds 600   longer
#   fuzz/run.sh --runs 10000000 the long local run of docs/reliability.md
# A crash, leak or UB report fails the run and leaves the input in build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=20)
case "${1:-}" in
  --seconds) limit=(-max_total_time="$2") ;;
  --runs) limit=(-runs="$2") ;;
esac
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMETERDESK_FUZZ=ON >/dev/null
cmake --build build-fuzz
mkdir -p build-fuzz/findings
for target in reading_value api_reading_request web_form csv telegram_update viber_callback dialog phone_call; do
  work=build-fuzz/corpus/$target
  mkdir -p "$work"
  cp -n fuzz/corpus/$target/* "$work"/ 2>/dev/null || true
  echo "== fuzz $target"
  # New inputs go to the scratch corpus; the committed seeds stay as they are. The fuzzer's own
  # exit status decides (77 for any finding, a crash's signal otherwise); the log is kept whole
  # and only its summary lines shown.
  log=build-fuzz/findings/$target.log
  status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    build-fuzz/fuzz/fuzz_$target "$work" "${limit[@]}" -max_len=65536 -timeout=10 \
    -error_exitcode=77 -timeout_exitcode=77 \
    -artifact_prefix=build-fuzz/findings/$target- -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|Done)' "$log" || true
  if [[ $status -ne 0 ]] || ls build-fuzz/findings/$target-* >/dev/null 2>&1; then
    echo "fuzz $target failed (exit $status): $(ls build-fuzz/findings/$target-* 2>/dev/null)" >&2
    tail -40 "$log" >&2
    exit 1
  fi
done
echo "== fuzz: no findings"
