-- POST a new object per request; names are unique per thread.
local counter = 0
local threads = {}
local id = 0

function setup(thread)
  id = id + 1
  thread:set("tid", id)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  local tok = os.getenv("ZK_TOKEN")
  if tok then wrk.headers["Authorization"] = "Bearer " .. tok end
  prefix = os.getenv("ZK_PREFIX") or "b"
  kind = os.getenv("ZK_KIND") or "configmap"
  wrk.method = "POST"
end

request = function()
  counter = counter + 1
  local name = string.format("%s-%d-%d", prefix, tid, counter)
  local body
  if kind == "etcd" then
    -- etcd v3 JSON gateway: base64 key and value
    local key = "/registry/bench/" .. name
    body = string.format('{"key":"%s","value":"%s"}', b64(key), b64(string.rep("v", 800)))
  elseif kind == "podmutated" then
    -- the same pod as zke's policies leave it (requests, anti-affinity and
    -- their annotations): what the store writes when they run
    body = string.format('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"bench"},"annotations":{"policy.zke.io/overcommit":"OvercommitPolicy default (cpu 10, memory 1.5): web cpu 2 -> 200m, memory 3Gi -> 2Gi","policy.zke.io/soft-anti-affinity":"preferred podAntiAffinity on app=bench, kubernetes.io/hostname"}},"spec":{"affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"bench"}},"topologyKey":"kubernetes.io/hostname"}}]}},"containers":[{"name":"web","image":"zke.test/none:1","resources":{"limits":{"cpu":"2","memory":"3Gi"},"requests":{"cpu":"200m","memory":"2Gi"}}}]}}', name)
  elseif kind == "pod" then
    -- a pod with limits only: what overcommit works on
    body = string.format('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"bench"}},"spec":{"containers":[{"name":"web","image":"zke.test/none:1","resources":{"limits":{"cpu":"2","memory":"3Gi"}}}]}}', name)
  else
    body = string.format('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","labels":{"app":"bench"}},"data":{"payload":"%s"}}', name, string.rep("x", 700))
  end
  return wrk.format(nil, nil, nil, body)
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
