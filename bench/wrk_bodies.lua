-- Feed wrk one pre-built request per request, split across threads. Each line is "query<TAB>body" (signed
-- with its own nonce, as WeChat signs) or just a body sent with the query string given as the third argument.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  local path, nthreads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then table.insert(bodies, line) end
    i = i + 1
  end
  query = args[3]
  n = 0
end

function request()
  n = n + 1
  if n > #bodies then n = 1; wrapped = true end
  local line = bodies[n]
  local tab = string.find(line, "\t", 1, true)
  if tab then  -- a per-request query string before the tab
    return wrk.format("POST", "/wechat?" .. string.sub(line, 1, tab - 1), {["Content-Type"] = "text/xml"},
                      string.sub(line, tab + 1))
  end
  return wrk.format("POST", "/wechat?" .. query, {["Content-Type"] = "text/xml"}, line)
end

-- Every reply must be a 200 carrying XML (a reply, encrypted or not): "success", a busy text's absence or
-- an error page is counted as bad.
bad = 0
function response(status, headers, body)
  if status ~= 200 or string.sub(body, 1, 5) ~= "<xml>" then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, thread in ipairs(threads) do total_bad = total_bad + (thread:get("bad") or 0) end
  io.write(string.format("LAT p50=%.3f p99=%.3f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("BAD %d\n", total_bad))
end
