-- now: the time of the call by the Guard's clock, ARGV[1] (Unix
-- milliseconds) and ARGV[2] (the nanoseconds within them), since a Lua
-- number cannot hold Unix nanoseconds exactly. Durations are whole
-- milliseconds, so adding one touches the milliseconds only.
--
-- A stored time is 9 bytes, struct '>i6I3' (milliseconds, nanoseconds):
-- every entry of a log has one width, so a log's length says how many
-- entries it holds and entry i is read without reading those before it.
local nms, nns = tonumber(ARGV[1]), tonumber(ARGV[2])

-- later reports whether the time (ms, ns) is after now.
local function later(ms, ns) return ms > nms or (ms == nms and ns > nns) end
