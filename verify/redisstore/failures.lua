-- failures: records a failure against the budget, for a check a provider
-- made (verify's RecordFailure).
-- KEYS[1]: the recipient's record, then the operation's key (see once in
-- scripts.go). ARGV: now_ms, now_ns, failure count, per_ms.
-- Returns '0' (one failure recorded) or '1 failures at_ms at_ns' when the
-- budget is spent until then (nothing recorded).
local v = redis.call('MGET', opkey, KEYS[1])
if v[1] then return v[1] end
local fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4])
local r = rload(v[2])
local fails = wkeep(r.f, fper)
local ms, ns = wnext(fails, fcount, fper)
if ms then return string.format('1 failures %.0f %d', ms, ns) end
r.f = wadd(fails, fcount)
rkeep(r, fper)
rsave(KEYS[1], r, true)
return once('0')
