#!/usr/bin/env bash
# Builds meterdesk and runs every test: formatting; a Release build with warnings as errors and
# its tests (the store and service suites on SQLite and again on a throw-away PostgreSQL
# cluster); the browser tests (Chromium); the API traffic against the OpenAPI document; the bots'
# Telegram conformance; the Debian package; clang-tidy over src/, tests/ and bench/; then the C++
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer (SKIP_SANITIZERS=1 skips it);
# then each libFuzzer target for 20 s (SKIP_FUZZ=1 skips that).
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh test
jobs=$(nproc)

# The store and service suites run on SQLite and again on PostgreSQL (tests labelled "postgres"):
# a throw-away PostgreSQL 15 cluster on 127.0.0.1, stopped and deleted when this script ends.
pg_dir=$(mktemp -d /tmp/meterdesk-pg.XXXXXX)
trap 'scripts/pg-test.sh stop "$pg_dir"' EXIT
METERDESK_TEST_POSTGRES=$(scripts/pg-test.sh start "$pg_dir" "${METERDESK_PG_PORT:-55432}")
export METERDESK_TEST_POSTGRES

echo "== step 0: formatting (clang-format, .clang-format) and the layers' includes"
sources=$(git ls-files -- 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 2>/dev/null \
  || find src tests bench -name '*.cpp' -o -name '*.hpp')
echo "$sources" | xargs -r clang-format --dry-run --Werror
# No #include runs up the layers (docs/architecture.md); the check first proves it can fail.
scripts/check-layers.sh --self-test
scripts/check-layers.sh src

echo "== step 1: release build, all tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON -DMETERDESK_BENCH=ON >/dev/null
cmake --build build
# The HTTP exchanges of the tests are recorded and then held against docs/openapi.json (step 1c).
rm -f build/http-record.jsonl build/telegram-record.jsonl
METERDESK_HTTP_RECORD="$PWD/build/http-record.jsonl" \
  METERDESK_TELEGRAM_RECORD="$PWD/build/telegram-record.jsonl" \
  ctest --test-dir build --no-tests=error --output-on-failure -j "$jobs"

echo "== step 1b: browser tests (Debian chromium, playwright-core from npm)"
(cd tests/browser && npm ci --no-audit --no-fund --silent && METERDESK_BINARY="$PWD/../../build/meterdesk" npm test --silent)

echo "== step 1c: the recorded API traffic against the OpenAPI document (ajv, from npm)"
(cd tests/api && npm ci --no-audit --no-fund --silent && node validate.mjs ../../docs/openapi.json ../../build/http-record.jsonl)

echo "== step 1d: Telegram conformance (schemas from @grammyjs/types; telegram-test-api as the peer)"
(cd tests/bots && npm ci --no-audit --no-fund --silent && node validate.mjs ../../build/telegram-record.jsonl \
  && METERDESK_BINARY="$PWD/../../build/meterdesk" npm test --silent)

echo "== step 1e: the Debian package (cpack, lintian, a scratch-root run as the unit would)"
tests/package/run.sh build

echo "== step 1f: clang-tidy (.clang-tidy) over src/, tests/ and bench/"
scripts/tidy.sh

if [[ "${SKIP_SANITIZERS:-0}" != 1 ]]; then
  echo "== step 2: AddressSanitizer + UndefinedBehaviorSanitizer build, all tests"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMETERDESK_SANITIZE=ON \
    -DMETERDESK_WERROR=ON -DMETERDESK_BENCH=OFF >/dev/null
  cmake --build build-asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --no-tests=error --output-on-failure -j "$jobs"
fi
if [[ "${SKIP_FUZZ:-0}" != 1 ]]; then
  echo "== step 3: libFuzzer targets from their committed corpora, 20 s each (clang, ASan + UBSan)"
  fuzz/run.sh
fi
echo "== all tests passed"
