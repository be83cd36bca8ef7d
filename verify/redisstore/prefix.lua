-- prefix: a number prefix's record, one string: '>i6I3' until when (Unix
-- ms, the Guard's clock) a rule may need the key and the send log's length
-- (entries), the send log (see window.lua), then the prefix's conversion
-- counter (see conversion.lua; empty when the guard does not count
-- prefixes). One key holds both, since both are the prefix's.

-- pload reads a record (nil: an empty one).
local function pload(v)
  if not v then return {k = 0, l = '', c = ''} end
  local k, n, pos = struct.unpack('>i6I3', v)
  return {k = k, l = string.sub(v, pos, pos + n * 9 - 1), c = string.sub(v, pos + n * 9)}
end

-- psave writes p to key: with its TTL until p.k when extend, else keeping
-- the key's TTL.
local function psave(key, p, extend)
  local v = struct.pack('>i6I3', p.k, #p.l / 9) .. p.l .. p.c
  if extend then
    redis.call('SET', key, v, 'PX', math.max(p.k - nms, 1))
  else
    redis.call('SET', key, v, 'KEEPTTL')
  end
end
