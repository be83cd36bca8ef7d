-- failures: records a failure against the budget, for a check a provider
-- made (verify's RecordFailure).
-- KEYS[1]: the recipient's record. ARGV: now_ms, now_ns, failure count,
-- per_ms, the operation's id (see inRecord in scripts.go).
-- Returns '0' (one failure recorded) or '1 failures at_ms at_ns' when the
-- budget is spent until then (nothing recorded).
--[[uses: now wkeep wnext wadd rload rsave ofind oadd olive]]
local fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4])
local k, code, ems, ens, a, lms, lns, pms, pns, f, s, o = rload(redis.call('GET', KEYS[1]))
if o ~= '' then
  local answered = ofind(o)
  if answered then return answered end
end
f = wkeep(f, fper)
local ms, ns = wnext(f, fcount, fper)
if ms then return string.format('1 failures %.0f %d', ms, ns) end
f = wadd(f, fcount)
local extend = nms + fper > k
if extend then k = nms + fper + math.floor(fper / 4) end
k, extend = olive(k, extend)
rsave(KEYS[1], extend, k, code, ems, ens, a, lms, lns, pms, pns, f, s, oadd(o, '0'))
return '0'
