-- The wrk script of bench/soak.sh: one token holder (profile:read,
-- tokens:read, tokens:write) reading, creating and deleting tokens.
--
--   wrk ... -s bench/lua/soak.lua -- TOKEN
--
-- Per request: 60% reads (/profile.json and /profile/tokens.json in turn),
-- 20% creations, 20% deletions of a token this thread created. Each thread
-- keeps at most 25 tokens of its own alive, so the account stays far below
-- any cap and the token list stays short however long the run.
-- wrk does not say which request a response answers; the status does:
-- 201 is a creation (its id is kept for a later deletion), 204 a deletion.
-- At the end it prints one line that bench/soak.sh parses.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  headers = {
    ["Authorization"] = "Bearer " .. args[1],
    ["Content-Type"] = "application/json",
  }
  ids = {}
  outstanding = 0
  reads, creates, deletes = 0, 0, 0
  s2xx, s4xx, s5xx, sother = 0, 0, 0, 0
  create_body = '{"label":"soak","scopes":["profile:read"],"expires_in_hours":24}'
end

local function create()
  creates = creates + 1
  outstanding = outstanding + 1
  return wrk.format("POST", "/profile/tokens.json", headers, create_body)
end

local function delete()
  deletes = deletes + 1
  local id = table.remove(ids)
  return wrk.format("DELETE", "/profile/tokens/" .. id .. ".json", headers)
end

function request()
  local r = math.random()
  if r < 0.6 then
    reads = reads + 1
    local path = (reads % 2 == 0) and "/profile.json" or "/profile/tokens.json"
    return wrk.format("GET", path, headers)
  end
  local may_create = #ids + outstanding < 25
  if r < 0.8 then
    if may_create or #ids == 0 then return create() end
    return delete()
  end
  if #ids > 0 then return delete() end
  return create()
end

function response(status, headers, body)
  if status == 201 then
    outstanding = outstanding - 1
    local id = string.match(body, '"id":(%d+)')
    if id then table.insert(ids, id) end
  end
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status >= 400 and status < 500 then
    s4xx = s4xx + 1
  elseif status >= 500 then
    s5xx = s5xx + 1
  else
    sother = sother + 1
  end
end

function done(summary, latency, requests)
  local t = {reads = 0, creates = 0, deletes = 0, s2xx = 0, s4xx = 0, s5xx = 0, sother = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + thread:get(k)
    end
  end
  local e = summary.errors
  io.write(string.format(
    "SOAK requests=%d seconds=%.1f reads=%d creates=%d deletes=%d s2xx=%d s4xx=%d s5xx=%d sother=%d "
      .. "errors=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, t.reads, t.creates, t.deletes,
    t.s2xx, t.s4xx, t.s5xx, t.sother,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
