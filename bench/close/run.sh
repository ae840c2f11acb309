#!/usr/bin/env bash
# Builds meterdesk in Release and runs the close benchmark (1,000,000 metering points by default;
# the first run generates the history, about 3 GB in /tmp, and keeps it for later runs).
#   bench/close/run.sh [--points N] [--db PATH]
exec "$(dirname "$0")/../common/run.sh" bench_close "$@"
