#!/usr/bin/env bash
# Builds meterdesk in Release and runs the outbox benchmark (3,000,000 sent messages by default:
# about a year of a region's bot messages; the first run generates them in /tmp and keeps them).
#   bench/outbox/run.sh [--sent N] [--db PATH]
exec "$(dirname "$0")/../common/run.sh" bench_outbox "$@"
