-- settle: settles a reserved check (verify's SettleCheck).
-- KEYS: in the order of ARGV[4]'s roles: f (the ref), r (the
-- recipient's record), c (the country's conversion counter) and p (the
-- prefix's record), the last two counted for 'verified'; the operation's
-- key last (see once in scripts.go). On one server all come in one call;
-- on a Cluster one call per key.
-- ARGV: reserved_ms, reserved_ns (the reservation's time, read as now),
-- outcome ('verified', 'undo', 'gone', 'locked'), roles, max attempts,
-- the conversion guard's bucket_ms.
-- verified and gone delete the ref, undo gives its attempt back, locked
-- makes its attempts used up; every outcome but locked takes the failure
-- reserved at that time back. Returns '0'.
--[[uses: now wremove rload rsave pload psave cbump ckeep csave cverified]]
local outcome, roles = ARGV[3], ARGV[4]
local max, bucket = tonumber(ARGV[5]), tonumber(ARGV[6])
local n = #roles
local v = redis.call('MGET', opkey, unpack(KEYS, 1, n))
if v[1] then return v[1] end
local idx = math.floor(nms / bucket)
for k = 1, n do
  local role, key, val = string.sub(roles, k, k), KEYS[k], v[k + 1]
  if role == 'f' then
    if outcome == 'verified' or outcome == 'gone' then
      redis.call('DEL', key)
    elseif val then
      -- The ref's attempts, in place ('>I4' at byte 10; see refs.go).
      local a = struct.unpack('>I4', val, 10)
      if outcome == 'undo' and a > 0 then redis.call('SETRANGE', key, 9, struct.pack('>I4', a - 1)) end
      if outcome == 'locked' and a < max then redis.call('SETRANGE', key, 9, struct.pack('>I4', max)) end
    end
  elseif role == 'r' then
    if outcome ~= 'locked' and val then
      local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(val)
      local kept = wremove(f)
      if kept ~= f then rsave(key, false, k, code, ems, ens, a, lms, lns, pms, pns, kept, s, i1, a1, t1, i2, a2, t2, out) end
    end
  elseif outcome == 'verified' then
    cverified(role, key, val, idx, bucket)
  end
end
redis.call('SET', opkey, '0', 'PX', optl)
return '0'
