-- wrk script for bench/ifttt.sh: IFTTT trigger polls, POST /ifttt/v1/triggers/device_turned_on with a random
-- device of VD_DEVICES (IFTTT device ids, comma-separated) and that device's trigger identity, as IFTTT sends
-- them (limit 50, user, ifttt_source). Prints nothing itself: ifttt.sh reads wrk's --latency report.
function init(args)
  devices = {}
  for id in string.gmatch(os.getenv("VD_DEVICES"), "[^,]+") do
    table.insert(devices, id)
  end
  headers = { ["Authorization"] = "Bearer " .. os.getenv("VD_TOKEN"), ["Content-Type"] = "application/json",
              ["Accept"] = "application/json" }
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local i = math.random(#devices)
  return wrk.format("POST", "/ifttt/v1/triggers/device_turned_on", headers,
    '{"trigger_identity":"poll-' .. i .. '","triggerFields":{"device":"' .. devices[i] .. '"},"limit":50,' ..
    '"user":{"timezone":"Pacific Time (US & Canada)"},"ifttt_source":{"id":"2","url":"https://ifttt.com/myrecipes/personal/2"}}')
end
