-- wrk script: valid submissions spread over BENCH_ACCOUNTS one-zone meters. Each account's value
-- rises by 1 kWh per round, and two requests for one account are BENCH_ACCOUNTS requests apart,
-- so concurrency never reorders them. Every request carries a fresh Idempotency-Key.
local accounts = tonumber(os.getenv("BENCH_ACCOUNTS")) or 20000
local n = 0
local headers = { ["Content-Type"] = "application/json" }

request = function()
  local i = n % accounts
  local round = math.floor(n / accounts)
  n = n + 1
  headers["Idempotency-Key"] = "bench-" .. n
  local body = string.format(
    '{"account":"%010d","meter_serial":"S%07d","readings":{"total":%d}}', i + 1, i + 1, 2000 + round)
  return wrk.format("POST", "/api/v1/readings", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format("latency_us p50=%d p99=%d max=%d\n", latency:percentile(50),
    latency:percentile(99), latency.max))
end
