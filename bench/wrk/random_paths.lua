-- wrk script: every request GETs a path picked at random from a file, one path per line.
--   wrk -s bench/wrk/random_paths.lua http://127.0.0.1:5000 -- paths.txt
-- Each wrk thread has its own Lua state; setup() numbers them so each draws its own sequence.
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
  math.randomseed(2026 + thread_no)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
