-- wrk script for bench/perf/run.mjs: like bench/wrk.lua (prints BENCHJSON), and
--   wrk ... -s bench/perf/post.lua <url> -- <body file>   POSTs that file as application/json
local body = nil

function init(args)
  if args[1] then
    local f = assert(io.open(args[1], "rb"))
    body = f:read("*a")
    f:close()
    wrk.method = "POST"
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p75":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
