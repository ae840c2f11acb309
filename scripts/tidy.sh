#!/usr/bin/env bash
# clang-tidy over src/, tests/ and bench/ (the checks of .clang-tidy; tests/ and bench/ leave out
# two), warnings as errors; needs build/'s compile_commands.json (any configured build/ has it).
# Usage: scripts/tidy.sh [files...]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/compile_commands.json ]] || { echo "configure build/ first (./test.sh does)" >&2; exit 1; }
files=("$@")
[[ ${#files[@]} -gt 0 ]] || mapfile -t files < <(git ls-files -- 'src/*.cpp' 'tests/*.cpp' 'bench/*.cpp')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Boost 1.74 turns co_await on for GCC and for libc++ only; clang-tidy (clang 14) parses our
# GCC build's commands with libstdc++, so it is told the coroutines are there.
if ! printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet \
  --warnings-as-errors='*' --extra-arg=-Wno-unknown-warning-option \
  --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE 2>"$log"; then
  grep -v 'warnings generated\.$' "$log" >&2 || true
  echo "clang-tidy found the above" >&2
  exit 1
fi
echo "clang-tidy: ${#files[@]} files clean"
