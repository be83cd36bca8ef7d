-- reserve: reserves one check of a provider's code (verify's ReserveCheck):
-- one attempt of the ref and one failure of its recipient, atomically.
-- KEYS[1]: the ref, then the operation's key (see once in scripts.go).
-- ARGV: now_ms, now_ns, max attempts, failure count, per_ms (count 0: no
-- budget), mode, the head of a recipient record's key (the key without
-- the pseudonym and the closing brace).
-- Mode 'both' (one server or Sentinel): the recipient's record is named
-- here from the ref's, so it is not among KEYS; a Cluster would refuse
-- that (another slot), so there mode 'ref' reserves the attempt alone and
-- failures.lua then counts the failure.
-- A ref's value starts with its expiry (a time), its attempts ('>I4', at
-- byte 10) and its recipient ('>I2' length, bytes); see refs.go.
-- Returns, with the ref's value last: {0, v} reserved (v counts it),
-- {1, 'failures', at_ms, at_ns, v} budget spent until then, {2, v}
-- attempts used, {3} no live ref. A reservation keeps the attempts it left
-- under the operation's key: a retry answers the value with them (the
-- rest does not change), or {3} when the ref went in between.
--[[uses: now wkeep wnext wadd rload rsave]]
local ref = KEYS[1]
local max, fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local v = redis.call('MGET', opkey, ref)
local val = v[2]
if not val then return {3} end
if v[1] then return {0, string.sub(val, 1, 9) .. struct.pack('>I4', tonumber(v[1])) .. string.sub(val, 14)} end
local ems, ens, a, n, pos = struct.unpack('>i6I3I4I2', val)
if ems < nms or (ems == nms and ens <= nns) then return {3} end

-- The failure budget first: the entries still in the window at now.
local rkey, k, code, rems, rens, ra, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out
if ARGV[6] == 'both' and n > 0 and fcount > 0 then
  rkey = ARGV[7] .. string.sub(val, pos, pos + n - 1) .. '}'
  k, code, rems, rens, ra, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(redis.call('GET', rkey))
  f = wkeep(f, fper)
  local ms, ns = wnext(f, fcount, fper)
  if ms then return {1, 'failures', ms, ns, val} end
end

if a >= max then return {2, val} end
a = a + 1
local attempts = struct.pack('>I4', a)
redis.call('SETRANGE', ref, 9, attempts)
if rkey then
  f = wadd(f, fcount)
  local extend = nms + fper > k
  if extend then k = nms + fper + math.floor(fper / 4) end
  rsave(rkey, extend, k, code, rems, rens, ra, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out)
end
redis.call('SET', opkey, a, 'PX', optl)
return {0, string.sub(val, 1, 9) .. attempts .. string.sub(val, 14)}
