#!/usr/bin/env bash
# The cabinet's "monthly volumes" read (Store::account_volumes) on a year of a region's closed
# months: 12 months x 200,000 points x 2 zones = 4.8 million volume rows on SQLite, generated
# with the sqlite3 shell into a database `meterdesk migrate` made (kept in /tmp). Times the
# query as it is and as it was before schema 9's session (a join from the account).
#   bench/volumes/run.sh [--points N] [--db PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
points=200000
db=""
while [[ $# -gt 1 ]]; do
  case "$1" in
    --points) points=$2 ;;
    --db) db=$2 ;;
  esac
  shift 2
done
db=${db:-/tmp/meterdesk-bench-volumes-$points.db}  # one file per size
[ -x build/meterdesk ] || { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build --target meterdesk; }
if [ ! -f "$db" ]; then
  build/meterdesk migrate --db "$db" >/dev/null
  sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $points)
INSERT INTO accounts (id, number, holder, created_at) SELECT i, printf('%010d', i), 'H', 0 FROM n;
INSERT INTO metering_points (id, account_id, eic) SELECT id, id, printf('62Z%012dX', id) FROM accounts;
INSERT INTO meters (id, metering_point_id, serial, zones, digits, installed_on)
  SELECT id, id, printf('S%08d', id), 2, 6, '2024-01-01' FROM metering_points;
WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m WHERE k < 12)
INSERT INTO periods (period, closed_at) SELECT printf('2025-%02d', k), 0 FROM m;
INSERT INTO period_volumes (period, metering_point_id, chain, meter_id, zone, zone_index,
  start_value, start_shown, start_kind, end_value, end_shown, end_kind, volume, correction,
  position, method, estimated_run)
  SELECT c.period, p.id, p.id, p.id, z.zone, z.ix, 1000, 1000, 'actual', 1100, 1100, 'actual',
         100, 0, 0, 'actual', 0
  FROM periods c, metering_points p, (SELECT 'day' AS zone, 0 AS ix UNION ALL SELECT 'night', 1) z
  ORDER BY c.period, p.id, z.ix;
COMMIT;
SQL
fi
columns="v.metering_point_id, v.meter_id, v.zone, v.volume, a.number, m.serial, v.period
 FROM period_volumes v JOIN metering_points p ON p.id = v.metering_point_id
 JOIN accounts a ON a.id = p.account_id JOIN meters m ON m.id = v.meter_id"
order="ORDER BY v.period, p.id, v.chain, v.zone_index"
account=$((points / 2))
echo "| query | rows | time (sqlite3 .timer, 3rd of 3 runs) |"
echo "|---|---|---|"
for q in \
  "now|WHERE v.period IN (SELECT period FROM periods) AND v.metering_point_id IN (SELECT id FROM metering_points WHERE account_id = $account)" \
  "before|WHERE p.account_id = $account"; do
  name=${q%%|*}
  where=${q#*|}
  out=$(printf '.timer on\nSELECT count(*) FROM (SELECT %s %s %s);\nSELECT count(*) FROM (SELECT %s %s %s);\nSELECT count(*) FROM (SELECT %s %s %s);\n' \
    "$columns" "$where" "$order" "$columns" "$where" "$order" "$columns" "$where" "$order" | sqlite3 "$db")
  rows=$(echo "$out" | grep -v '^Run Time' | tail -1)
  real=$(echo "$out" | grep '^Run Time' | tail -1 | awk '{print $4}')
  echo "| $name | $rows | ${real} s |"
done
