-- refund: takes back one committed send (a Cluster send that a rule on
-- another key refused).
-- KEYS[1]: the key; ARGV: now_ms, now_ns (the send's time), role,
-- previous last send of the recipient ('' for none), per_ms.
local role, prev, per = ARGV[3], ARGV[4], tonumber(ARGV[5])
local key = KEYS[1]
if role == 'r' then
  local f = redis.call('HMGET', key, 'l', 's')
  if f[1] == tstr(now) then
    if prev == '' then redis.call('HDEL', key, 'l') else redis.call('HSET', key, 'l', prev) end
  end
  if f[2] then redis.call('HSET', key, 's', wstr(wremove(wload(f[2], now, per), now))) end
else
  local s = redis.call('GET', key)
  if s then redis.call('SET', key, wstr(wremove(wload(s, now, per), now)), 'KEEPTTL') end
end
return 0
