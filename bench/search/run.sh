#!/usr/bin/env bash
# Builds meterdesk in Release and runs the account search benchmark (1,000,000 accounts by default:
# a region's; the first run generates them in /tmp and keeps them).
#   bench/search/run.sh [--accounts N] [--db PATH]
exec "$(dirname "$0")/../common/run.sh" bench_search "$@"
