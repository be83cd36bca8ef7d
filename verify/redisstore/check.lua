-- check: checks a code's MAC against the recipient's live code.
-- KEYS[1]: recipient hash; ARGV: now_ms, now_ns, mac, max attempts,
-- failure count, per_ms (count 0: no budget).
-- Returns {0} verified (the code is used up), {1, attempts left} wrong,
-- {2} locked (the attempts are used up), {3} no live code,
-- {4, rule, retry_ns} failure budget spent.
-- The MACs are compared with Lua's ==: it is not constant-time, but they
-- are keyed MACs, so timing reveals nothing about the code.
local key, mac, max = KEYS[1], ARGV[3], tonumber(ARGV[4])
local fcount, fper = tonumber(ARGV[5]), tonumber(ARGV[6])
local f = redis.call('HMGET', key, 'f', 'h', 'e', 'a')
local fails
if fcount > 0 then
  fails = wload(f[1], now, fper)
  local r = refusal()
  consider(r, 'failures', wallowed(fails, fcount, fper), now)
  local no = refused(r, now)
  if no then return {4, no[2], no[3]} end
end
if not f[2] or not f[3] or tle(tparse(f[3]), now) then
  if f[2] then redis.call('HDEL', key, 'h', 'e', 'a') end
  return {3}
end
local used = tonumber(f[4]) or 0
if used >= max then return {2} end
if f[2] == mac then
  redis.call('HDEL', key, 'h', 'e', 'a')
  return {0}
end
used = used + 1
redis.call('HSET', key, 'a', used)
if fcount > 0 then
  redis.call('HSET', key, 'f', wstr(wadd(fails, now, fcount)))
  keep(key, fper)
end
if used >= max then return {2} end
return {1, max - used}
