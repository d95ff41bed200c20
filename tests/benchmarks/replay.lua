-- Replay a prepared list of requests, each sent once: every request can carry fresh data
-- (a new captcha, a new mobile) that the runner prepared. Bounded in count by the file and in time by -d.
--
--   wrk -t2 -c8 -d6s --latency -s replay.lua http://127.0.0.1:PORT -- REQUESTS_FILE THREADS
--
-- REQUESTS_FILE: one request per line, "METHOD<TAB>PATH<TAB>BODY<TAB>CLIENT_IP<TAB>COOKIE" (BODY: one-line JSON
-- or empty; CLIENT_IP, optional, is sent as X-Forwarded-For: the harness trusts one proxy hop, so each request
-- can come from its own client address, as behind the production proxy; COOKIE, optional, as Cookie).
-- Thread i of N sends lines i, i+N, i+2N, ...; when its share is spent it stops.
-- done() prints, for the runner: "STATUS <code> <count>" lines, "EXHAUSTED <threads whose share ran out>"
-- and "SPAN_US <first request to last answer>". wrk's own Requests/sec divides by -d even when the
-- threads stopped early, so the runner divides by this span instead.

-- This wrk (Debian 4.1.0) has no wrk.time_us: read the monotonic clock through LuaJIT's FFI.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } replay_timespec;
int clock_gettime(int clk_id, replay_timespec *tp);
]]
local timespec = ffi.new("replay_timespec")
local function now_us()
  ffi.C.clock_gettime(1, timespec)  -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = nil
local index = 0
local spare = nil
statuses = {}
exhausted = 0
first_us = 0  -- when this thread built its first request, and when its last answer came: the span it ran
last_us = 0

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  requests = {}
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == id then
      local method, target, body, ip, cookie = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?([^\t]*)\t?([^\t]*)$")
      local headers = { ["Host"] = "127.0.0.1" }
      if body == "" then body = nil else headers["Content-Type"] = "application/json" end
      if ip ~= "" then headers["X-Forwarded-For"] = ip end
      if cookie ~= "" then headers["Cookie"] = cookie end
      table.insert(requests, wrk.format(method, target, headers, body))
    end
    n = n + 1
  end
  spare = wrk.format("GET", "/healthz", { ["Host"] = "127.0.0.1" }, nil)
end

function request()
  if requests == nil then  -- wrk checks the script once on its main state, which never ran init()
    return wrk.format("GET", "/healthz")
  end
  index = index + 1
  if index == 1 then first_us = now_us() end
  if index > #requests then
    exhausted = 1
    wrk.thread:stop()
    return spare  -- sent on a connection that is closing; never answered into the figures
  end
  return requests[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  last_us = now_us()
end

function done(summary, latency, requests)
  local total, stopped, first, last = {}, 0, nil, 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for code, n in pairs(counts) do
      total[code] = (total[code] or 0) + n
    end
    stopped = stopped + thread:get("exhausted")
    local f = thread:get("first_us")
    if f > 0 and (first == nil or f < first) then first = f end
    last = math.max(last, thread:get("last_us"))
  end
  for code, n in pairs(total) do
    io.write(string.format("STATUS %d %d\n", code, n))
  end
  io.write(string.format("EXHAUSTED %d\n", stopped))
  io.write(string.format("SPAN_US %d\n", first and (last - first) or 0))
end
