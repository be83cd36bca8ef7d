-- failures: the failure budget around a check a provider makes.
-- KEYS[1]: recipient hash; ARGV: now_ms, now_ns, mode ('allow' or
-- 'record'), failure count, per_ms.
-- Returns {0} allowed (and, for 'record', one failure recorded) or
-- {1, 'failures', at_ms, at_ns} when the budget is spent.
local key, mode = KEYS[1], ARGV[3]
local fcount, fper = tonumber(ARGV[4]), tonumber(ARGV[5])
if fcount <= 0 then return {0} end
local fails = wload(redis.call('HGET', key, 'f') or nil, now, fper)
local r = refusal()
consider(r, 'failures', wallowed(fails, fcount, fper), now)
local no = refused(r)
if no then return no end
if mode == 'record' then
  redis.call('HSET', key, 'f', wstr(wadd(fails, now, fcount)))
  keep(key, fper)
end
return {0}
