#!/usr/bin/env bash
# Builds meterdesk in Release and runs the import benchmark: a DSO moving in with 1,000,000
# accounts and a year of their readings (--quick: 100,000), by `meterdesk import-accounts` and
# `import-readings` as an operator runs them.
#   bench/import/run.sh [--quick] [--accounts N] [--months M] [--keep DIR]
set -euo pipefail
exec "$(dirname "$0")/../common/run.sh" bench_import "$@"
