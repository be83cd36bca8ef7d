-- send: the send rules of one AllowSend over the keys given, atomically.
-- KEYS: in the order of ARGV[4]'s roles: r (recipient hash), i (IP log),
-- p (prefix log), c and q (the conversion guard's counters of the country
-- and the prefix). On one server all come in one call; on a Cluster one
-- call per key (see store_send.go).
-- ARGV: now_ms, now_ns, mode ('commit' records the send when every rule of
-- these keys allows it; 'peek' records nothing), roles, interval_ms,
-- recipient count, per_ms, failure count, per_ms, IP count, per_ms,
-- prefix count, per_ms, then the conversion guard: bucket_ms, country
-- minimum, prefix minimum, floor, monitor ('1': report, do not refuse).
-- A count of 0 turns a rule off.
-- Returns {0} when allowed, {1, rule, at_ms, at_ns} when refused, {2,
-- 'conversion'} when allowed although the conversion guard, in monitor
-- mode, would have refused.
local mode, roles = ARGV[3], ARGV[4]
local interval = tonumber(ARGV[5])
local rcount, rper = tonumber(ARGV[6]), tonumber(ARGV[7])
local fcount, fper = tonumber(ARGV[8]), tonumber(ARGV[9])
local counts = {i = {tonumber(ARGV[10]), tonumber(ARGV[11]), 'ip_sends'},
                p = {tonumber(ARGV[12]), tonumber(ARGV[13]), 'prefix_sends'}}
local bucket, floor, monitor = tonumber(ARGV[14]), tonumber(ARGV[17]), ARGV[18] == '1'
local mins = {c = tonumber(ARGV[15]), q = tonumber(ARGV[16])}
local monitored = false

local r = refusal()
local logs = {}
local last = ''
for k = 1, #roles do
  local role, key = string.sub(roles, k, k), KEYS[k]
  if role == 'r' then
    local f = redis.call('HMGET', key, 'f', 'l', 's')
    if fcount > 0 then consider(r, 'failures', wallowed(wload(f[1], now, fper), fcount, fper), now) end
    if f[2] then last = f[2] end
    if interval > 0 and f[2] then consider(r, 'send_interval', tadd(tparse(f[2]), interval), now) end
    if rcount > 0 then
      logs[k] = wload(f[3], now, rper)
      consider(r, 'recipient_sends', wallowed(logs[k], rcount, rper), now)
    end
  elseif role == 'c' or role == 'q' then
    local at = cjudge(key, now, bucket, mins[role], floor)
    if at and monitor then monitored = true else consider(r, 'conversion', at, now) end
  else
    local c = counts[role]
    logs[k] = wload(redis.call('GET', key), now, c[2])
    consider(r, c[3], wallowed(logs[k], c[1], c[2]), now)
  end
end

local no = refused(r)
if no then return no end
if mode ~= 'commit' then return {0} end

for k = 1, #roles do
  local role, key = string.sub(roles, k, k), KEYS[k]
  if role == 'r' then
    if interval > 0 then
      -- 'pl' keeps the send before, so that a refund can restore it.
      if last ~= '' then redis.call('HSET', key, 'l', tstr(now), 'pl', last)
      else redis.call('HSET', key, 'l', tstr(now)) end
    end
    if rcount > 0 then redis.call('HSET', key, 's', wstr(wadd(logs[k], now, rcount))) end
    keep(key, math.max(interval, rcount > 0 and rper or 0))
  elseif role == 'c' or role == 'q' then
    cbump(key, 's', now, bucket, 1)
  else
    local c = counts[role]
    redis.call('SET', key, wstr(wadd(logs[k], now, c[1])))
    keep(key, c[2])
  end
end
if monitored then return {2, 'conversion'} end
return {0}
