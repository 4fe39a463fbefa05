-- POST /tasks with the spec's example body; wrk's summary is also printed as one JSON line for the harness.
wrk.method = "POST"
wrk.path = "/tasks"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Review quarterly report","owner_id":"user-456","priority":2}'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
