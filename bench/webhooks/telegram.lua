-- wrk script: Telegram updates to /webhooks/telegram with the secret header. BENCH_CHATS chats,
-- each going through /start, its account, its meter serial (linking it), then one reading value
-- per update; every update has a fresh update_id, so each one is processed (not a redelivery).
local chats = tonumber(os.getenv("BENCH_CHATS")) or 20000
local secret = os.getenv("BENCH_SECRET") or "bench-secret"
local thread_offset = 0
local n = 0
local headers = { ["Content-Type"] = "application/json", ["X-Telegram-Bot-Api-Secret-Token"] = secret }

local function text_for(chat, round)
  if round == 0 then return "/start" end
  if round == 1 then return string.format("%010d", chat) end
  if round == 2 then return string.format("S%07d", chat) end
  return tostring(1000 + round)
end

request = function()
  local chat = n % chats + 1
  local round = math.floor(n / chats)
  n = n + 1
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"date":1764489600,' ..
    '"chat":{"id":%d,"type":"private","first_name":"Bench"},' ..
    '"from":{"id":%d,"is_bot":false,"first_name":"Bench","language_code":"uk"},"text":"%s"}}',
    n, n, chat, chat, text_for(chat, round))
  return wrk.format("POST", "/webhooks/telegram", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format("latency_us p50=%d p99=%d max=%d\n", latency:percentile(50),
    latency:percentile(99), latency.max))
end
