#!/usr/bin/env bash
# Which lines of src/ the C++ tests run (gcov through gcovr): a Debug build with --coverage in
# build-cov/, every ctest suite (on SQLite, and on a throw-away PostgreSQL cluster for the
# suites labelled postgres), then a line summary per file in build-cov/coverage.txt, least
# covered first. Servers the tests start write their counts when they stop (SIGTERM); those a
# test SIGKILLs do not. Not part of ./test.sh: about 25 minutes on 2 cores.
#   scripts/coverage.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
command -v gcovr >/dev/null || apt-get install -y -q gcovr >/dev/null
pg_dir=$(mktemp -d /tmp/meterdesk-pg.XXXXXX)
trap 'scripts/pg-test.sh stop "$pg_dir"' EXIT
METERDESK_TEST_POSTGRES=$(scripts/pg-test.sh start "$pg_dir" "${METERDESK_PG_PORT:-55433}")
export METERDESK_TEST_POSTGRES
cmake -S . -B build-cov -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS='--coverage -O1' \
  -DCMAKE_EXE_LINKER_FLAGS=--coverage -DMETERDESK_BENCH=OFF >/dev/null
cmake --build build-cov
find build-cov -name '*.gcda' -delete
# A failing test is a failed run: the coverage of the rest is still written, then it exits 1.
tests=0
ctest --test-dir build-cov --output-on-failure -j "$(nproc)" || tests=$?
gcovr -r . --object-directory build-cov -f 'src/' -s > build-cov/coverage.txt
{ grep -E '^src/' build-cov/coverage.txt | sort -k4 -n | head -25; tail -3 build-cov/coverage.txt; }
echo "per file: build-cov/coverage.txt"
if [[ $tests -ne 0 ]]; then
  echo "coverage: some tests failed (ctest exit $tests); the figures above leave them out" >&2
  exit 1
fi
