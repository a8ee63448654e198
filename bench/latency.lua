-- wrk: the session cookie (BENCH_COOKIE) on every request, and the summary as one JSON line.
-- Every request asks what a browser asks for: its languages and a compressed body.
wrk.headers["Accept-Language"] = "fr-FR,fr;q=0.9,en;q=0.8"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, errors.status, errors.connect, errors.read,
    errors.write, errors.timeout))
end
