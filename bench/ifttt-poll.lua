-- wrk script for bench/ifttt.sh: IFTTT trigger polls, POST /ifttt/v1/triggers/device_turned_on with a random
-- device of VD_DEVICES (IFTTT device ids, comma-separated) and that device's trigger identity, as IFTTT sends
-- them (limit 50, user, ifttt_source). The requests are formatted once in init(): formatting one per request
-- in Lua costs wrk measurable CPU on a 2-core machine shared with the app (the baseline's request is static).
-- Prints nothing itself: ifttt.sh reads wrk's --latency report.
function init(args)
  local headers = { ["Authorization"] = "Bearer " .. os.getenv("VD_TOKEN"), ["Content-Type"] = "application/json",
                    ["Accept"] = "application/json" }
  requests = {}
  local i = 0
  for id in string.gmatch(os.getenv("VD_DEVICES"), "[^,]+") do
    i = i + 1
    requests[i] = wrk.format("POST", "/ifttt/v1/triggers/device_turned_on", headers,
      '{"trigger_identity":"poll-' .. i .. '","triggerFields":{"device":"' .. id .. '"},"limit":50,' ..
      '"user":{"timezone":"Pacific Time (US & Canada)"},"ifttt_source":{"id":"2","url":"https://ifttt.com/myrecipes/personal/2"}}')
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  return requests[math.random(#requests)]
end
