-- refund: takes back a send committed at a time (verify's RefundSend, and
-- a Cluster send that a rule on another key refused).
-- KEYS: in the order of ARGV[3]'s roles, as in send.lua: r (recipient
-- record), i (IP log), p (prefix record), c (country counter); the
-- operation's key last (see once in scripts.go). On one server all in one
-- call.
-- ARGV: at_ms, at_ns (the send's time, read as now), roles, the
-- conversion guard's bucket_ms.
-- The recipient's last send goes back to the one before it, or is
-- forgotten when there was none. Keys keep their TTLs.
local roles, bucket = ARGV[3], tonumber(ARGV[4])
local n = #roles
local v = redis.call('MGET', opkey, unpack(KEYS, 1, n))
if v[1] then return v[1] end
local idx = math.floor(nms / bucket)
for k = 1, n do
  local role, key, val = string.sub(roles, k, k), KEYS[k], v[k + 1]
  if val then
    if role == 'r' then
      local r = rload(val)
      if r.lms == nms and r.lns == nns then
        r.lms, r.lns, r.pms, r.pns = r.pms, r.pns, nil, nil
      end
      r.s = wremove(r.s)
      rsave(key, r, false)
    elseif role == 'i' then
      local w = wremove(val)
      if w == '' then redis.call('DEL', key) else redis.call('SET', key, w, 'KEEPTTL') end
    elseif role == 'p' then
      local p = pload(val)
      p.l = wremove(p.l)
      p.c = cbump(p.c, idx, -1, 0)
      psave(key, p, false)
    else
      redis.call('SET', key, cbump(val, idx, -1, 0), 'KEEPTTL')
    end
  end
end
return once('0')
