done = function(summary, latency, requests)
  io.write(string.format("latency_us p50=%d p99=%d max=%d\n", latency:percentile(50),
    latency:percentile(99), latency.max))
end
