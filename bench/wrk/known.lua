-- (b) Known users: a random one of the seeded users per request. Their UUIDs are read
-- from the file named by WRK_USERS (one per line, written by bench/run.py) in `init`.
package.path = package.path .. ";" .. (debug.getinfo(1, "S").source:match("@?(.*/)") or "./") .. "?.lua"
local report = require("report")
local random = math.random
local prefix = os.getenv("WRK_PREFIX") or "/get_recommendations/"
local paths = {}
local count = 0
local walk = os.getenv("WRK_WALK") == "1"  -- 1: every user in turn (the warm-up pass)
local next_index = 0

function init(args)
  math.randomseed(os.time() * 1000 + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 1000)
  for line in io.lines(os.getenv("WRK_USERS")) do
    count = count + 1
    paths[count] = wrk.format("GET", prefix .. line)
  end
end

function request()
  if walk then
    next_index = next_index % count + 1
    return paths[next_index]
  end
  return paths[random(1, count)]
end

done = report.done
