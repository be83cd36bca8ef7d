-- refund: takes back a send committed at a time (verify's RefundSend, and
-- a Cluster send that a rule on another key refused).
-- KEYS: in the order of ARGV[3]'s roles, as in send.lua: r (recipient
-- record), i (IP window), p (prefix record), c (country counter); the
-- operation's key last (see once in scripts.go). On one server all in one
-- call.
-- ARGV: at_ms, at_ns (the send's time, read as now), roles, the
-- conversion guard's bucket_ms.
-- Unlike a send, a refund keeps its answer under the operation's key even
-- with the recipient's record among its keys: run twice, it would take
-- the send from the conversion counters twice (a counter's bucket does
-- not know which sends it holds), so its answer must not depend on the
-- record's log, which a refund does not otherwise touch on a Cluster.
-- Refunds are rare; the key costs them 2 µs.
-- The recipient's last send goes back to the one before it, or is
-- forgotten when there was none. Keys keep their TTLs.
--[[uses: now wremove rload rsave pload psave cbump]]
local roles, bucket = ARGV[3], tonumber(ARGV[4])
local n = #roles
local v = redis.call('MGET', opkey, unpack(KEYS, 1, n))
if v[1] then return v[1] end
local idx = math.floor(nms / bucket)
for i = 1, n do
  local role, key, val = string.sub(roles, i, i), KEYS[i], v[i + 1]
  if val then
    if role == 'r' then
      local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(val)
      if lms == nms and lns == nns then lms, lns, pms, pns = pms, pns, nil, 0 end
      rsave(key, false, k, code, ems, ens, a, lms, lns, pms, pns, f, wremove(s), i1, a1, t1, i2, a2, t2, out)
    elseif role == 'i' then
      local w = wremove(val)
      if w == '' then redis.call('DEL', key) else redis.call('SET', key, w, 'KEEPTTL') end
    elseif role == 'p' then
      local pk, l, c = pload(val)
      psave(key, false, pk, wremove(l), cbump(c, idx, -1, 0))
    else
      redis.call('SET', key, cbump(val, idx, -1, 0), 'KEEPTTL')
    end
  end
end
redis.call('SET', opkey, '0', 'PX', optl)
return '0'
