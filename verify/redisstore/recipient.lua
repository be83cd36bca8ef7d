-- recipient: a recipient's record, one string (read and written whole, so
-- that a decision is one GET and one SET, the key's TTL set with it):
--   '>i6BI3'  keep: until when (Unix ms, the Guard's clock) a rule may
--             need the key; flags: 1 a code, 2 a last send, 4 the send
--             before it; the failure log's length (entries)
--   '>c16i6I3I4' if flagged: the code's MAC (its first 16 bytes), its
--             expiry (a time) and its attempts
--   a time    if flagged: the last send; then the one before it
--   the failure log, then the send log (windows, see window.lua)

-- rload reads a record (nil: an empty one).
local function rload(v)
  local r = {k = 0, f = '', s = ''}
  if not v then return r end
  local flags, nf, pos
  r.k, flags, nf, pos = struct.unpack('>i6BI3', v)
  if flags % 2 == 1 then r.mac, r.ems, r.ens, r.a, pos = struct.unpack('>c16i6I3I4', v, pos) end
  if flags % 4 >= 2 then r.lms, r.lns, pos = struct.unpack('>i6I3', v, pos) end
  if flags >= 4 then r.pms, r.pns, pos = struct.unpack('>i6I3', v, pos) end
  r.f = string.sub(v, pos, pos + nf * 9 - 1)
  r.s = string.sub(v, pos + nf * 9)
  return r
end

-- rsave writes r to key: with its TTL until r.k when extend (a write that
-- added something, and raised r.k to cover it), else keeping the key's
-- TTL (a write that only took something away; a record left empty goes).
local function rsave(key, r, extend)
  if not extend and not r.mac and not r.lms and r.f == '' and r.s == '' then
    redis.call('DEL', key)
    return
  end
  local flags, code, l, pl = 0, '', '', ''
  if r.mac then flags, code = 1, struct.pack('>c16i6I3I4', r.mac, r.ems, r.ens, r.a) end
  if r.lms then flags, l = flags + 2, struct.pack('>i6I3', r.lms, r.lns) end
  if r.pms then flags, pl = flags + 4, struct.pack('>i6I3', r.pms, r.pns) end
  local v = struct.pack('>i6BI3', r.k, flags, #r.f / 9) .. code .. l .. pl .. r.f .. r.s
  if extend then
    redis.call('SET', key, v, 'PX', math.max(r.k - nms, 1))
  else
    redis.call('SET', key, v, 'KEEPTTL')
  end
end

-- rkeep raises r.k so that the key lives at least ms from now, and a
-- quarter more: key TTLs only bound what is kept (the rules compare stored
-- times with now), and the margin absorbs clocks a little apart.
local function rkeep(r, ms)
  r.k = math.max(r.k, nms + ms + math.floor(ms / 4))
end
