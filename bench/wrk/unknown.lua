-- (a) Unknown users: a fresh random v4 UUID per request, so every request is a user the
-- service has never seen (an L1 miss, an L2 read, the generic home).
package.path = package.path .. ";" .. (debug.getinfo(1, "S").source:match("@?(.*/)") or "./") .. "?.lua"
local report = require("report")
local random, format = math.random, string.format
local prefix = os.getenv("WRK_PREFIX") or "/get_recommendations/"

function init(args)
  math.randomseed(os.time() * 1000 + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 1000)
end

function request()
  local path = format("%s%04x%04x-%04x-4%03x-%04x-%04x%04x%04x", prefix,
    random(0, 65535), random(0, 65535), random(0, 65535), random(0, 4095),
    random(32768, 49151), random(0, 65535), random(0, 65535), random(0, 65535))
  return wrk.format("GET", path)
end

done = report.done
