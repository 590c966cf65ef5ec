-- The one wrk script of bench/run.sh.
--
--   wrk ... -s bench/lua/bench.lua -- get
--       sends the request given on wrk's command line (-H headers) as is;
--   wrk ... -s bench/lua/bench.lua -- create TOKENS_FILE
--       POSTs a new-token request to /profile/tokens.json, taking the
--       bearer token from TOKENS_FILE (one per line) in turn, so that no
--       account reaches its token cap during the run.
--   wrk ... -s bench/lua/bench.lua -- list TOKENS_FILE
--       GETs /profile/tokens.json with the bearer tokens of TOKENS_FILE in
--       turn: many callers, each listing its own account's tokens.
--   wrk ... -s bench/lua/bench.lua -- gate TOKENS_FILE PATH STATUS
--       GETs PATH (e.g. /auth?scope=app:read) with the `API-KEY` token of a
--       line of TOKENS_FILE picked at random each time; STATUS is the
--       answer expected (204, or 401 for tokens meant to be refused).
--
-- Every response's status is checked here, because wrk's own "Non-2xx"
-- counter only counts 4xx and 5xx: a 303 to /login would pass unseen.
-- At the end it prints one line that bench/run.sh parses (times in us).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local requests_list = nil
local next_index = 0

local expected = nil
local pick_random = false

function init(args)
  non2xx = 0
  if args[1] == "gate" then
    requests_list = {}
    expected = tonumber(args[4])
    pick_random = true
    math.randomseed(os.time())
    for line in io.lines(args[2]) do
      if line ~= "" then
        table.insert(requests_list, wrk.format("GET", args[3], {["API-KEY"] = line}))
      end
    end
  elseif args[1] == "list" then
    requests_list = {}
    for line in io.lines(args[2]) do
      if line ~= "" then
        table.insert(requests_list, wrk.format("GET", "/profile/tokens.json", {
          ["Authorization"] = "Bearer " .. line,
        }))
      end
    end
  elseif args[1] == "create" then
    requests_list = {}
    local body = '{"label":"bench","scopes":["tokens:read"],"expires_in_hours":720}'
    for line in io.lines(args[2]) do
      if line ~= "" then
        table.insert(requests_list, wrk.format("POST", "/profile/tokens.json", {
          ["Authorization"] = "Bearer " .. line,
          ["Content-Type"] = "application/json",
        }, body))
      end
    end
  else
    -- wrk looks for request() after init: without it, it sends its one
    -- pre-built request over and over, which costs it nothing.
    request = nil
  end
end

function request()
  if pick_random then
    return requests_list[math.random(#requests_list)]
  end
  next_index = next_index % #requests_list + 1
  return requests_list[next_index]
end

function response(status, headers, body)
  if expected ~= nil then
    if status ~= expected then
      non2xx = non2xx + 1
    end
  elseif status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d secs=%.3f rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d bytes=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.max,
    bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.bytes))
end
