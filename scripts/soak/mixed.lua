-- wrk script for scripts/soak.sh: a mixed workload of one purchaser organisation.
--   60 % GET /v1/purchases?limit=20 (a page of its lines)
--   15 % POST /v1/purchases (a new line, unique external_ref)
--   10 % GET /v1/sourcing-mix?group_by=month
--   10 % GET /v1/facilities?limit=20 (the shared catalog)
--    5 % GET /v1/purchases/{id} of a seeded line
-- Counts answers per class; any status other than 200/201 is an error.
local token = os.getenv("SOAK_TOKEN")
local supplier = os.getenv("SOAK_SUPPLIER")
local purchase_id = os.getenv("SOAK_PURCHASE")
local run = os.getenv("SOAK_RUN") or "SOAK"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  writes, reads, errors = 0, 0, 0
  math.randomseed(id * 7919)
end

local auth = { ["Authorization"] = "Bearer " .. token }
local post_headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

function request()
  local r = math.random(100)
  if r <= 60 then
    return wrk.format("GET", "/v1/purchases?limit=20", auth)
  elseif r <= 75 then
    counter = counter + 1
    local body = string.format(
      '{"external_ref":"%s-%d-%d","supplier_party_id":"%s","mineral":"gold",' ..
      '"quantity":{"value":2.5,"unit":"kg"},"purchased_on":"2026-%02d-15"}',
      run, id, counter, supplier, counter % 12 + 1)
    return wrk.format("POST", "/v1/purchases", post_headers, body)
  elseif r <= 85 then
    return wrk.format("GET", "/v1/sourcing-mix?group_by=month", auth)
  elseif r <= 95 then
    return wrk.format("GET", "/v1/facilities?limit=20", auth)
  else
    return wrk.format("GET", "/v1/purchases/" .. purchase_id, auth)
  end
end

function response(status, headers, body)
  if status == 201 then
    writes = writes + 1
  elseif status == 200 then
    reads = reads + 1
  else
    errors = errors + 1
    if errors <= 3 then io.stderr:write("soak: status " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local w, r, e = 0, 0, 0
  for _, thread in ipairs(threads) do
    w = w + thread:get("writes")
    r = r + thread:get("reads")
    e = e + thread:get("errors")
  end
  io.write(string.format("SOAK_COUNTS writes=%d reads=%d errors=%d\n", w, r, e))
  io.write(string.format("SOAK_LATENCY p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
