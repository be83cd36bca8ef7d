-- failures: records a failure against the budget, for a check a provider
-- made (verify's RecordFailure).
-- KEYS[1]: the recipient's record. ARGV: now_ms, now_ns, failure count,
-- per_ms, the operation's id (see inRecord in scripts.go).
-- Returns '0' (one failure recorded) or '1 failures at_ms at_ns' when the
-- budget is spent until then (nothing recorded).
--[[uses: now wkeep wnext wadd rload rsave oget olive]]
local fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4])
local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(redis.call('GET', KEYS[1]))
local got = oget(KEYS[1], i1, a1, t1, i2, a2, out)
if got then return got end
f = wkeep(f, fper)
local ms, ns = wnext(f, fcount, fper)
if ms then return string.format('1 failures %.0f %d', ms, ns) end
f = wadd(f, fcount)
local extend = nms + fper > k
if extend then k = nms + fper + math.floor(fper / 4) end
local j, b, u, moved, tn
k, extend, j, b, u, moved, tn = olive(KEYS[1], k, extend, i1, a1, t1, i2, a2, t2, out)
rsave(KEYS[1], extend, k, code, ems, ens, a, lms, lns, pms, pns, f, s, j, b, u, opid, '0', tn, moved)
return '0'
