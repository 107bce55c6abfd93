-- wrk script for bench/run.sh: PUT /api/v1/devices/{id}/properties with the power flipped every time, so
-- every request is a real change. Each wrk thread cycles through its own share of the devices
-- (VD_DEVICES, comma-separated; at least as many as connections), so requests of one thread never
-- contend for a row with another's. Prints nothing itself: run.sh reads wrk's --latency report.
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local all = {}
  for id in string.gmatch(os.getenv("VD_DEVICES"), "[^,]+") do
    table.insert(all, id)
  end
  local threads = tonumber(os.getenv("VD_THREADS"))
  mine = {}
  for i, id in ipairs(all) do
    if (i - 1) % threads == tid then
      table.insert(mine, id)
    end
  end
  state = {}
  n = 0
  headers = { ["Authorization"] = "Bearer " .. os.getenv("VD_KEY"), ["Content-Type"] = "application/json" }
end

-- VD_THINK_MS (optional): each connection waits that long before its next request, so the offered rate is
-- about connections / (think + latency) whatever the server's speed (bench/limits.sh THINK_MS)
local think = tonumber(os.getenv("VD_THINK_MS") or "")
if think then
  function delay()
    return think
  end
end

function request()
  n = n % #mine + 1
  local id = mine[n]
  state[id] = not state[id]
  return wrk.format("PUT", "/api/v1/devices/" .. id .. "/properties", headers,
    state[id] and '{"power":true}' or '{"power":false}')
end
