-- wrk script: like random_paths.lua, plus one request header (e.g. an API token).
--   wrk -s bench/wrk/paths_with_header.lua http://127.0.0.1:5000 -- paths.txt "Authorization: Bearer T"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  assert(#paths > 0, "no paths in " .. tostring(args[1]))
  if args[2] and args[2] ~= "" then
    local name, value = args[2]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  math.randomseed(2026 + thread_no)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
