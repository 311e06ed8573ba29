-- PUT (unconditional update) of a fixed set of existing objects, or GET them.
local counter = 0

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  local tok = os.getenv("ZK_TOKEN")
  if tok then wrk.headers["Authorization"] = "Bearer " .. tok end
  mode = os.getenv("ZK_MODE") or "update"
  n = tonumber(os.getenv("ZK_OBJECTS") or "100")
end

request = function()
  counter = counter + 1
  local name = string.format("u-%d", counter % n)
  local path = "/api/v1/namespaces/default/configmaps/" .. name
  if mode == "get" then
    return wrk.format("GET", path)
  elseif mode == "etcdget" then
    return wrk.format("POST", "/v3/kv/range", nil, string.format('{"key":"%s"}', b64("/registry/u/" .. name)))
  elseif mode == "etcdput" then
    return wrk.format("POST", "/v3/kv/put", nil,
      string.format('{"key":"%s","value":"%s"}', b64("/registry/u/" .. name), b64(string.rep("w", 800) .. counter)))
  end
  local body = string.format('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},"data":{"payload":"%s","n":"%d"}}', name, string.rep("y", 700), counter)
  return wrk.format("PUT", path, nil, body)
end

local b = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function b64(data)
  return ((data:gsub('.', function(x)
    local r, byte = '', x:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if (#x < 6) then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT req/s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
