-- claimref: saves a Service record under a ref unless the ref holds a live
-- one (an idempotency key's claim).
-- KEYS[1]: the ref; the operation's key last (see once in scripts.go).
-- ARGV: now_ms, now_ns, the record's value (see refValue in refs.go),
-- ttl_ms.
-- Returns '1' claimed, or '0' and the live value it holds.
--[[uses: now]]
local v = redis.call('MGET', opkey, KEYS[1])
if v[1] then return v[1] end
if v[2] then
  local ems, ens = struct.unpack('>i6I3', v[2])
  if ems > nms or (ems == nms and ens > nns) then return '0' .. v[2] end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('SET', opkey, '1', 'PX', optl)
return '1'
