-- refund: takes back a send committed at a time (verify's RefundSend, and
-- a Cluster send that a rule on another key refused).
-- KEYS: in the order of ARGV[3]'s roles, as in send.lua: r (recipient
-- record, first when present), i (IP window), p (prefix record), c
-- (country counter); without r, the operation's key last. On one server
-- all in one call.
-- ARGV: at_ms, at_ns (the send's time, read as now), roles, the
-- conversion guard's bucket_ms, the operation's id.
-- Its answer is kept as send.lua keeps one: in the recipient's record,
-- or without r under the operation's key.
-- The recipient's last send goes back to the one before it, or is
-- forgotten when there was none. Keys keep their TTLs.
--[[uses: now wremove rload rsave olive pload psave cbump]]
local roles, bucket = ARGV[3], tonumber(ARGV[4])
local n = #roles
local opkey = KEYS[n + 1]
local v = redis.call('MGET', unpack(KEYS))
if opkey and v[n + 1] then return v[n + 1] end
local idx = math.floor(nms / bucket)
for i = 1, n do
  local role, key, val = string.sub(roles, i, i), KEYS[i], v[i]
  if role == 'r' then
    -- Written even when gone, to keep the answer.
    local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, i2, a2 = rload(val)
    if opid == i2 then return a2 elseif opid == i1 then return a1 end
    if lms == nms and lns == nns then lms, lns, pms, pns = pms, pns, nil, 0 end
    local kept, extend = olive(k, false)
    rsave(key, extend, kept, code, ems, ens, a, lms, lns, pms, pns, f, wremove(s), i2, a2, opid, '0')
  elseif val then
    if role == 'i' then
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
if opkey then redis.call('SET', opkey, '0', 'PX', optl) end
return '0'
