-- wrk script for bench/alexa.sh: the Alexa directives and their REST counterparts, one script so both sides
-- are driven the same way. VD_MODE picks the request:
--   power    POST /alexa/v3/directives Alexa.PowerController TurnOn/TurnOff, flipped every time per endpoint
--            (a real change each time, like bench/rest.lua's PUT)
--   report   POST /alexa/v3/directives Alexa.ReportState
--   discover POST /alexa/v3/directives Alexa.Discovery.Discover (the user's 300 devices)
--   put      PUT /api/v1/devices/{id}/properties {"power":…} with the API key, flipped every time (as
--            bench/rest.lua; here so that both sides of a ratio pay the same client-side Lua)
--   get      GET /api/v1/devices/{id} with the API key (ReportState's REST counterpart)
-- The directives carry the alexa-smart-home access token (VD_TOKEN) in endpoint.scope / payload.scope and no
-- Authorization header, as the skill's Lambda forwards them. VD_TARGETS is a comma-separated list (endpoint
-- ids for power/report, device ids for get); each wrk thread cycles through its own share (VD_THREADS), so
-- no two threads contend for one device. Prints nothing itself: alexa.sh reads wrk's --latency report.
local counter = 0
local threads_list = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads_list, thread)
end

function init(args)
  mode = os.getenv("VD_MODE")
  token = os.getenv("VD_TOKEN")
  key = os.getenv("VD_KEY")
  local threads = tonumber(os.getenv("VD_THREADS"))
  mine = {}
  local i = 0
  for id in string.gmatch(os.getenv("VD_TARGETS") or "", "[^,]+") do
    if i % threads == tid then
      table.insert(mine, id)
    end
    i = i + 1
  end
  state = {}
  n = 0
  sent = 0
  json = { ["Content-Type"] = "application/json" }
  api = { ["Authorization"] = "Bearer " .. (key or "") }
  put = { ["Authorization"] = "Bearer " .. (key or ""), ["Content-Type"] = "application/json" }
  errors = 0
end

local function header(namespace, name, correlation)
  sent = sent + 1
  local h = '{"namespace":"' .. namespace .. '","name":"' .. name .. '","payloadVersion":"3","messageId":"'
    .. string.format("%08x-0000-4000-8000-%012x", tid, sent) .. '"'
  if correlation then
    h = h .. ',"correlationToken":"bench-' .. tid .. '-' .. sent .. '"'
  end
  return h .. '}'
end

local function endpoint(id)
  return '{"scope":{"type":"BearerToken","token":"' .. token .. '"},"endpointId":"' .. id .. '","cookie":{}}'
end

function request()
  if mode == "discover" then
    return wrk.format("POST", "/alexa/v3/directives", json, '{"directive":{"header":'
      .. header("Alexa.Discovery", "Discover", false)
      .. ',"payload":{"scope":{"type":"BearerToken","token":"' .. token .. '"}}}}')
  end
  n = n % #mine + 1
  local id = mine[n]
  if mode == "get" then
    return wrk.format("GET", "/api/v1/devices/" .. id, api)
  elseif mode == "put" then
    state[id] = not state[id]
    return wrk.format("PUT", "/api/v1/devices/" .. id .. "/properties", put,
      state[id] and '{"power":true}' or '{"power":false}')
  elseif mode == "report" then
    return wrk.format("POST", "/alexa/v3/directives", json, '{"directive":{"header":'
      .. header("Alexa", "ReportState", true) .. ',"endpoint":' .. endpoint(id) .. ',"payload":{}}}')
  end
  state[id] = not state[id]
  return wrk.format("POST", "/alexa/v3/directives", json, '{"directive":{"header":'
    .. header("Alexa.PowerController", state[id] and "TurnOn" or "TurnOff", true)
    .. ',"endpoint":' .. endpoint(id) .. ',"payload":{}}}')
end

-- A directive that fails still answers HTTP 200 (with an Alexa.ErrorResponse): count those as errors, so a
-- bad token or endpoint cannot pass for throughput. Printed as "Alexa errors: N" after wrk's report.
function response(status, headers, body)
  if status == 200 and string.find(body, '"ErrorResponse"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads_list) do
    total = total + (thread:get("errors") or 0)
  end
  io.write(string.format("Alexa errors: %d\n", total))
end
