-- allowcheck: whether the failure budget allows a check (verify's
-- AllowCheck). It records nothing, so it needs no operation key.
-- KEYS[1]: the recipient's record. ARGV: now_ms, now_ns, failure count,
-- per_ms. Returns '0' or '1 failures at_ms at_ns' when the budget is
-- spent until then.
--[[uses: now wkeep wnext rload]]
local v = redis.call('GET', KEYS[1])
if not v then return '0' end
local fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4])
local _, _, _, _, _, _, _, _, _, f = rload(v)
local ms, ns = wnext(wkeep(f, fper), fcount, fper)
if ms then return string.format('1 failures %.0f %d', ms, ns) end
return '0'
