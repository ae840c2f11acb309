#!/usr/bin/env bash
# Builds meterdesk in Release and runs the audit search benchmark (12,000,000 records by default:
# a year of a region's; the first run generates them, about 2 GB in /tmp, and keeps them).
#   bench/audit/run.sh [--records N] [--db PATH]
exec "$(dirname "$0")/../common/run.sh" bench_audit "$@"
