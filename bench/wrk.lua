-- wrk script for the benchmark suite.
--   wrk ... -s bench/wrk.lua <url>            one request per round trip
--   wrk ... -s bench/wrk.lua <url> -- 16      HTTP pipelining: 16 requests per write
--   wrk ... -s bench/wrk.lua <url> -- body.json   POSTs that file as application/json
-- At the end it prints one line "BENCHJSON {...}" with exact counts and latency
-- percentiles (microseconds), which the harness parses instead of wrk's rounded text.
-- (done() runs in wrk's main Lua state, where init() never ran: it cannot see `depth`.
-- With pipelining wrk times whole batches and its percentiles are not meaningful.)

local depth = 1

function init(args)
  if args[1] and not tonumber(args[1]) then
    local f = assert(io.open(args[1], "rb"))
    wrk.body = f:read("*a")
    f:close()
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    return
  end
  depth = tonumber(args[1]) or 1
  if depth > 1 then
    local reqs = {}
    for i = 1, depth do reqs[i] = wrk.format(nil, nil) end
    local batch = table.concat(reqs)
    -- Defined only when pipelining, so plain runs keep wrk's static fast path.
    request = function() return batch end
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
