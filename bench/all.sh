#!/usr/bin/env bash
# Runs every benchmark one after the other (never two at once: they share two cores) and writes
# what they printed as markdown: a table of each one's headline figures, then each one's whole
# output, with the machine, the date and the commit.
#   bench/all.sh [--quick] [--out FILE]
# --quick: smaller data sets, under 10 minutes; the full run (a million accounts, 12 million
# audit records, …) takes about an hour the first time and keeps its generated data in /tmp.
# Default output: docs/bench-results.md (docs/bench-results-quick.md with --quick).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
quick=0
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=${2:?--out FILE}; shift ;;
    *) echo "usage: bench/all.sh [--quick] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$out" ]] || out=docs/bench-results$([[ $quick == 1 ]] && echo -quick).md

scripts/deps.sh bench || exit 1
command -v sipp >/dev/null && command -v python3 >/dev/null || scripts/deps.sh test || exit 1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON \
  -DMETERDESK_BENCH=ON >/dev/null || exit 1
cmake --build build || exit 1

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
rows=()
failed=0

# run NAME HEADLINE-REGEX COMMAND…: runs it with its output shown as it comes and kept; the lines
# matching the regex are its headline in the table.
run() {
  local name=$1 headline=$2
  shift 2
  echo "== $name: $*"
  local start=$SECONDS status
  stdbuf -oL -eL "$@" 2>&1 | tee "$logs/$name.txt"
  status=${PIPESTATUS[0]}
  local took=$((SECONDS - start))
  local lines
  lines=$(grep -E -- "$headline" "$logs/$name.txt" | sed -E 's/[[:space:]]+/ /g; s/^ //; s/\|/\\|/g' |
    paste -sd '\n' - | sed ':a;N;$!ba;s/\n/<br>/g')
  local verdict=ok
  if [[ $status -ne 0 ]]; then verdict="**failed ($status)**"; failed=1; fi
  rows+=("| $name | \`$*\` | ${lines:-(see below)} | ${took} s | $verdict |")
  echo "$name" >>"$logs/order"
}

if [[ $quick == 1 ]]; then
  ingest=(--accounts 20000 --duration 5) webhooks=(--duration 5) window=(--accounts 50000)
  close=(--points 100000) audit=(--records 1000000) outbox=(--sent 300000)
  search=(--accounts 100000) volumes=(--points 20000) import=(--accounts 20000) calls=20
else
  ingest=(--accounts 20000 --duration 10) webhooks=() window=() close=() audit=() outbox=()
  search=() volumes=() import=() calls=100
fi

run ingest 'accepted durable|HTTP ceiling' build/bench/bench_ingest "${ingest[@]}"
run webhooks 'Telegram updates processed' build/bench/bench_webhooks "${webhooks[@]}"
run window 'readings/s|latency|peak RSS|^store:' build/bench/bench_window "${window[@]}"
run import 'rows/s|moved in' build/bench/bench_import "${import[@]}"
run close '^[0-9]{4}-[0-9]{2} ' build/bench/bench_close "${close[@]}"
run audit '^\| .*[0-9] m?s \|$' build/bench/bench_audit "${audit[@]}"
run outbox '^\| .*[0-9] m?s \|$' build/bench/bench_outbox "${outbox[@]}"
run search '^\| .*[0-9] m?s \|$' build/bench/bench_search "${search[@]}"
run volumes '^\| .*[0-9] m?s \|$' bench/volumes/run.sh "${volumes[@]}"
run effort '^\| .*\| [0-9]' build/bench/bench_effort build/prompts
run ivr '^calls|^wall' bench/ivr/run.sh "$calls"

mkdir -p "$(dirname "$out")"
{
  echo "# Benchmark results$([[ $quick == 1 ]] && echo " (quick)")"
  echo
  echo "Written by \`bench/all.sh$([[ $quick == 1 ]] && echo " --quick")\` on $(date -u '+%Y-%m-%d %H:%M UTC'),"
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench || echo ' with local changes'); machine:"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores,"
  echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"),"
  echo "SQLite $(sqlite3 --version | cut -d' ' -f1), PostgreSQL not used (each benchmark's --db runs it there)."
  echo "What each figure means and the targets: docs/benchmarks.md."
  echo
  echo "| benchmark | command | headline | wall time | |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  while read -r name; do
    echo
    echo "## $name"
    echo
    echo '```text'
    # Progress lines (generation, rows read) are left out: what is left is the result.
    grep -vE '^ +[0-9]+ (points|rows read)|^  [0-9]+ / ' "$logs/$name.txt"
    echo '```'
  done <"$logs/order"
} >"$out"
echo "written: $out"
exit $failed
