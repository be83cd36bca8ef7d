-- refund: takes back a send committed at a time (verify's RefundSend, and a
-- Cluster send that a rule on another key refused).
-- KEYS: in the order of ARGV[3]'s roles, as in send.lua: r (recipient
-- hash), i (IP log), p (prefix log), c and q (conversion counters); on one
-- server all in one call.
-- ARGV: at_ms, at_ns (the send's time), roles, then per_ms of each key's
-- window in the same order (for c and q: the bucket's length).
-- The recipient's last send goes back to the one before it ('pl', kept by
-- send.lua), or is forgotten when there was none.
local roles = ARGV[3]
for k = 1, #roles do
  local role, key, per = string.sub(roles, k, k), KEYS[k], tonumber(ARGV[3 + k])
  if role == 'r' then
    local f = redis.call('HMGET', key, 'l', 's', 'pl')
    if f[1] == tstr(now) then
      if f[3] then redis.call('HSET', key, 'l', f[3]) else redis.call('HDEL', key, 'l') end
      redis.call('HDEL', key, 'pl')
    end
    if f[2] then redis.call('HSET', key, 's', wstr(wremove(wload(f[2], now, per), now))) end
  elseif role == 'c' or role == 'q' then
    cbump(key, 's', now, per, -1)
  else
    local s = redis.call('GET', key)
    if s then redis.call('SET', key, wstr(wremove(wload(s, now, per), now)), 'KEEPTTL') end
  end
end
return 0
