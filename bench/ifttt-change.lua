-- wrk script for bench/ifttt.sh: the same real change (a dimmer's brightness, alternating 10 and 90 per device)
-- made either as an IFTTT action (VD_MODE=ifttt: POST /ifttt/v1/actions/set_brightness, VD_DEVICES = IFTTT
-- device ids, VD_TOKEN = IFTTT's access token) or through the REST API (VD_MODE=rest: PUT
-- /api/v1/devices/{id}/properties, VD_DEVICES = device ids, VD_TOKEN = an API key). Each wrk thread cycles
-- through its own share of the devices, so threads never contend for a row.
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
  mode = os.getenv("VD_MODE")
  headers = { ["Authorization"] = "Bearer " .. os.getenv("VD_TOKEN"), ["Content-Type"] = "application/json",
              ["Accept"] = "application/json" }
end

function request()
  n = n % #mine + 1
  local id = mine[n]
  state[id] = not state[id]
  local level = state[id] and "90" or "10"
  if mode == "ifttt" then
    return wrk.format("POST", "/ifttt/v1/actions/set_brightness", headers,
      '{"actionFields":{"device":"' .. id .. '","brightness":"' .. level .. '"},"user":{"timezone":"UTC"}}')
  end
  return wrk.format("PUT", "/api/v1/devices/" .. id .. "/properties", headers, '{"brightness":' .. level .. '}')
end
