-- failures: records a failure against the budget, for a check a provider
-- made (verify's RecordFailure).
-- KEYS[1]: the recipient's record, then the operation's key (see once in
-- scripts.go). ARGV: now_ms, now_ns, failure count, per_ms.
-- Returns '0' (one failure recorded) or '1 failures at_ms at_ns' when the
-- budget is spent until then (nothing recorded).
--[[uses: now wkeep wnext wadd rload rsave]]
local v = redis.call('MGET', opkey, KEYS[1])
if v[1] then return v[1] end
local fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4])
local k, code, ems, ens, a, lms, lns, pms, pns, f, s = rload(v[2])
f = wkeep(f, fper)
local ms, ns = wnext(f, fcount, fper)
if ms then return string.format('1 failures %.0f %d', ms, ns) end
f = wadd(f, fcount)
local extend = nms + fper > k
if extend then k = nms + fper + math.floor(fper / 4) end
rsave(KEYS[1], extend, k, code, ems, ens, a, lms, lns, pms, pns, f, s)
redis.call('SET', opkey, '0', 'PX', optl)
return '0'
