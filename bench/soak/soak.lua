-- wrk script of the soak benchmark (bench/soak.mjs):
--   wrk -t1 -c64 -d600s -s bench/soak/soak.lua <url> -- <requests>
-- Every connection sends one request at a time (keep-alive), rotating through MIX: 30 %
-- sync, 30 % async, 20 % 404/405 (answered by C), 20 % errors (thrown, rejected,
-- unserialisable: 500; HttpError: 418). After <requests> responses it prints SOAKDONE and
-- stops its thread; the harness then interrupts wrk, whose done() prints one line
-- "SOAKJSON {...}" with exact counts per status.

local json = '{"a":1,"b":[1,2,3],"s":"soak"}'
local MIX = {
  -- sync (6)
  { "GET", "/sync" }, { "GET", "/user/42" }, { "GET", "/text" },
  { "GET", "/query?a=1&b=two" }, { "GET", "/headers", { ["X-Soak"] = "yes" } }, { "GET", "/const" },
  -- async (6)
  { "GET", "/async" }, { "GET", "/async-timer" }, { "GET", "/async-user/7" }, { "GET", "/async" },
  { "POST", "/echo", { ["Content-Type"] = "application/json" }, json },
  { "POST", "/echo", { ["Content-Type"] = "application/json" }, json },
  -- 404 and 405, from C (4)
  { "GET", "/missing" }, { "GET", "/user/1/extra" }, { "GET", "/nope?x=1" }, { "DELETE", "/sync" },
  -- errors (4)
  { "GET", "/throw" }, { "GET", "/reject" }, { "GET", "/bigint" }, { "GET", "/teapot" },
}

local reqs, n, i, target, counts, stopped = {}, #MIX, 0, 0, {}, false
statuses = ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  target = tonumber(args[1]) or 1000000
  for k, m in ipairs(MIX) do
    reqs[k] = wrk.format(m[1], m[2], m[3], m[4])
  end
end

function request()
  i = i % n + 1
  return reqs[i]
end

local done_count = 0
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  done_count = done_count + 1
  if done_count == target and not stopped then
    stopped = true
    -- done() runs in wrk's main Lua state: hand it the counts as a string (thread:get).
    local parts = {}
    for k, v in pairs(counts) do table.insert(parts, string.format('"%d":%d', k, v)) end
    statuses = table.concat(parts, ",")
    io.write("SOAKDONE\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  -- One thread (-t1): its statuses, or none when it never reached the target.
  local parts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s and s ~= "" then table.insert(parts, s) end
  end
  local e = summary.errors
  io.write(string.format(
    'SOAKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
