-- claimref: saves a Service record under a ref unless the ref holds a live
-- one (an idempotency key's claim).
-- KEYS[1]: the ref's hash; ARGV: now_ms, now_ns, ttl_ms, then the record's
-- fields as name, value pairs (its expiry 'x' among them).
-- Returns {1} claimed, or {0, field, value, ...}: the live record it holds.
-- Expiry by the Guard's clock is 'x', "ms" or "ms.nnnnnn" as in lib.lua.
local key = KEYS[1]
local nms, nns = tonumber(ARGV[1]), tonumber(ARGV[2])
local x = redis.call('HGET', key, 'x')
if x then
  local dot = string.find(x, '.', 1, true)
  local ems, ens = tonumber(x), 0
  if dot then ems, ens = tonumber(string.sub(x, 1, dot - 1)), tonumber(string.sub(x, dot + 1)) end
  if ems > nms or (ems == nms and ens > nns) then
    local held = redis.call('HGETALL', key)
    table.insert(held, 1, 0)
    return held
  end
end
redis.call('DEL', key)
redis.call('HSET', key, unpack(ARGV, 4))
redis.call('PEXPIRE', key, ARGV[3])
return {1}
