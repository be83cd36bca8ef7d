-- failures: records a failure against the budget, for a check a provider
-- made (verify's RecordFailure).
-- KEYS[1]: the recipient's record. ARGV: now_ms, now_ns, failure count,
-- per_ms, the operation's id (see inRecord in scripts.go).
-- Returns '0' (one failure recorded) or '1 failures at_ms at_ns' when the
-- budget is spent until then (nothing recorded).
--[[uses: now wkeep wnext wadd rload rsave olive]]
local fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4])
local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, i2, a2 = rload(redis.call('GET', KEYS[1]))
if opid == i2 then return a2 elseif opid == i1 then return a1 end
f = wkeep(f, fper)
local ms, ns = wnext(f, fcount, fper)
if ms then return string.format('1 failures %.0f %d', ms, ns) end
f = wadd(f, fcount)
local extend = nms + fper > k
if extend then k = nms + fper + math.floor(fper / 4) end
k, extend = olive(k, extend)
rsave(KEYS[1], extend, k, code, ems, ens, a, lms, lns, pms, pns, f, s, i2, a2, opid, '0')
return '0'
