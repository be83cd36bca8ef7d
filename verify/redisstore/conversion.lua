-- conversion: the conversion guard's counter of a country or a prefix, a
-- string: '>I4I4' its sends and verified codes summed over its buckets,
-- then the buckets, ascending, 14 bytes each ('>i6I4I4': the bucket's
-- number (its start over its length), sends, verified codes). The buckets
-- of the last 12 count; the sums spare a read of every bucket per send.

-- cprune returns c without the buckets that left the window by bucket cur
-- (those at or before cur - 12), and its sums.
local function cprune(c, cur)
  if not c or #c < 8 then return '', 0, 0 end
  local s, v = struct.unpack('>I4I4', c)
  local pos = 9
  while pos < #c do
    local idx, bs, bv = struct.unpack('>i6I4I4', c, pos)
    if idx > cur - 12 then break end
    s, v, pos = s - bs, v - bv, pos + 14
  end
  if pos == 9 then return c, s, v end
  return struct.pack('>I4I4', s, v) .. string.sub(c, pos), s, v
end

-- cjudge returns when pruned counter c (sums s and v) allows sends again
-- (nil: now): at least min sends in the window of which fewer than floor
-- were verified refuse until the oldest bucket with a send leaves it.
-- Buckets ahead of cur (another instance's clock) do not count yet.
local function cjudge(c, s, v, cur, bucket, min, floor)
  if min <= 0 or s < min then return nil end
  local i = (#c - 8) / 14
  while i > 0 do
    local idx, bs, bv = struct.unpack('>i6I4I4', c, 9 + (i - 1) * 14)
    if idx <= cur then break end
    s, v, i = s - bs, v - bv, i - 1
  end
  if s < min or v >= floor * s then return nil end
  for j = 1, i do
    local idx, bs = struct.unpack('>i6I4', c, 9 + (j - 1) * 14)
    if bs > 0 then return (idx + 12) * bucket end
  end
  return nil
end

-- cbump returns c with sends and verified (1, or -1 for a refund, which
-- never takes a bucket below 0) added in bucket idx.
local function cbump(c, idx, sends, verified)
  if not c or #c < 8 then
    if sends < 0 or verified < 0 then return c or '' end
    c = struct.pack('>I4I4', 0, 0)
  end
  local s, v = struct.unpack('>I4I4', c)
  local i = (#c - 8) / 14
  while i > 0 do
    if struct.unpack('>i6', c, 9 + (i - 1) * 14) <= idx then break end
    i = i - 1
  end
  local at = 9 + (i - 1) * 14
  local body
  if i > 0 and struct.unpack('>i6', c, at) == idx then
    local _, bs, bv = struct.unpack('>i6I4I4', c, at)
    if bs + sends < 0 or bv + verified < 0 then return c end
    body = string.sub(c, 9, at - 1) .. struct.pack('>i6I4I4', idx, bs + sends, bv + verified) .. string.sub(c, at + 14)
  else
    if sends < 0 or verified < 0 then return c end
    at = 9 + i * 14
    body = string.sub(c, 9, at - 1) .. struct.pack('>i6I4I4', idx, sends, verified) .. string.sub(c, at)
  end
  return struct.pack('>I4I4', s + sends, v + verified) .. body
end

-- ckeep is until when (Unix ms) counter c must be kept: until its newest
-- bucket leaves the window.
local function ckeep(c, bucket)
  if #c < 22 then return 0 end
  return (struct.unpack('>i6', c, #c - 13) + 13) * bucket
end
