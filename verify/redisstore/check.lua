-- check: checks a code's MAC against the recipient's live code.
-- KEYS[1]: the recipient's record; on one server then the conversion
-- counters a verified code counts in, in the order of ARGV[8]'s roles (c
-- the country's counter, p the prefix's record); the operation's key
-- last (see once in scripts.go).
-- ARGV: now_ms, now_ns, mac (16 bytes), max attempts, failure count,
-- per_ms (count 0: no budget), the conversion guard's bucket_ms, roles.
-- Returns '0' verified (the code is used up), '1 left' wrong (attempts
-- left), '2' locked (the attempts are used up), '3' no live code,
-- '4 failures at_ms at_ns' failure budget spent until then.
-- The MACs are compared with Lua's ==: it is not constant-time, but they
-- are keyed MACs, so timing reveals nothing about the code.
local n = #KEYS
local v = redis.call('MGET', opkey, unpack(KEYS, 1, n - 1))
if v[1] then return v[1] end
local mac, max = ARGV[3], tonumber(ARGV[4])
local fcount, fper = tonumber(ARGV[5]), tonumber(ARGV[6])
local r = rload(v[2])

-- The failure budget first: the entries still in the window at now.
local fails
if fcount > 0 then
  fails = wkeep(r.f, fper)
  local ms, ns = wnext(fails, fcount, fper)
  if ms then return string.format('4 failures %.0f %d', ms, ns) end
end

if not r.mac or not later(r.ems, r.ens) then return '3' end
if r.a >= max then return '2' end
if r.mac == mac then
  r.mac = nil
  rsave(KEYS[1], r, false)
  -- A verified code counts in the conversion guard, in the bucket of now.
  local roles, bucket = ARGV[8], tonumber(ARGV[7])
  local idx = math.floor(nms / bucket)
  for k = 2, n - 1 do
    if string.sub(roles, k - 1, k - 1) == 'c' then
      local c = cbump(cprune(v[k + 1], idx), idx, 0, 1)
      redis.call('SET', KEYS[k], c, 'PX', math.max(ckeep(c, bucket) - nms, 1))
    else
      local p = pload(v[k + 1])
      p.c = cbump(cprune(p.c, idx), idx, 0, 1)
      p.k = math.max(p.k, ckeep(p.c, bucket))
      psave(KEYS[k], p, true)
    end
  end
  return once('0')
end

r.a = r.a + 1
if fcount > 0 then
  -- fails holds fewer than fcount entries.
  r.f = wadd(fails, fcount)
  rkeep(r, fper)
  rsave(KEYS[1], r, true)
else
  rsave(KEYS[1], r, false)
end
if r.a >= max then return once('2') end
return once('1 ' .. (max - r.a))
