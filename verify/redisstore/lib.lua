-- The helpers of the scripts. Redis runs a script's whole text on every
-- call, so every function a script defines is made anew each call (about
-- 50 ns each) whether it is used or not: a script names the helpers it
-- uses in a line "--[[uses: name ...]]", where it uses them, and carries
-- those alone (see compose in scripts.go). For the same reason the helpers
-- return several values rather than a table.
--
-- Times: "now" is the time of the call by the Guard's clock, ARGV[1]
-- (Unix milliseconds) and ARGV[2] (the nanoseconds within them), since a
-- Lua number cannot hold Unix nanoseconds exactly. Durations are whole
-- milliseconds, so adding one touches the milliseconds only. A stored time
-- is 9 bytes, struct '>i6I3' (milliseconds, nanoseconds): every entry of a
-- log has one width, so a log's length says how many entries it holds and
-- entry i is read without reading those before it.
--
-- A window (a sliding-window log) is the times of the events a rate
-- counts, ascending, at most the rate's count of them. Being ascending,
-- the entries that still count at now are a suffix; the helpers read the
-- few entries they need, never the whole log.

--- now
local nms, nns = tonumber(ARGV[1]), tonumber(ARGV[2])
-- How long (ms) a decision's answer is kept for a retry: opTTL in
-- scripts.go (TestScriptsKeepAnswersForOpTTL holds the two equal).
local optl = 30000

--- wkeep
-- wkeep returns the entries of window w that count at now (e + per > now).
local function wkeep(w, per)
  if not w then return '' end
  local i, n = 0, #w / 9
  while i < n do
    local ms, ns = struct.unpack('>i6I3', w, i * 9 + 1)
    ms = ms + per
    if ms > nms or (ms == nms and ns > nns) then break end
    i = i + 1
  end
  if i == 0 then return w end
  return string.sub(w, i * 9 + 1)
end

--- wnext
-- wnext returns when window w (kept at now) of count per per allows the
-- next event: nil when it allows one now.
local function wnext(w, count, per)
  local n = #w / 9
  if n < count then return nil end
  local ms, ns = struct.unpack('>i6I3', w, (n - count) * 9 + 1)
  return ms + per, ns
end

--- wadd
-- wadd returns window w with now added in order (now is the newest entry
-- unless another instance's clock runs ahead), keeping the latest count
-- entries.
local function wadd(w, count)
  local n = #w / 9
  local i = n
  while i > 0 do
    local ms, ns = struct.unpack('>i6I3', w, (i - 1) * 9 + 1)
    if ms < nms or (ms == nms and ns <= nns) then break end
    i = i - 1
  end
  local t = struct.pack('>i6I3', nms, nns)
  if i == n then w = w .. t else w = string.sub(w, 1, i * 9) .. t .. string.sub(w, i * 9 + 1) end
  if n + 1 > count then w = string.sub(w, (n + 1 - count) * 9 + 1) end
  return w
end

--- wremove
-- wremove returns window w without one entry at now (a refund, a settled
-- check).
local function wremove(w)
  local t = struct.pack('>i6I3', nms, nns)
  for i = #w / 9, 1, -1 do
    if string.sub(w, (i - 1) * 9 + 1, i * 9) == t then
      return string.sub(w, 1, (i - 1) * 9) .. string.sub(w, i * 9 + 1)
    end
  end
  return w
end

--- rload
-- A recipient's record is one string (read and written whole, so that a
-- decision is one GET and one SET, the key's TTL set with it):
--   '>i6B'    keep: until when (Unix ms, the Guard's clock) a rule may
--             need the key; flags: 1 a code, 2 a last send, 4 the send
--             before it, 8 answers moved out of the record (see olive)
--   'Bc0Bc0i6' x 2 the operation log: the id, answer and time (ms) of
--             the two last decisions that counted something on it, older
--             first (each id and answer a length byte, then the bytes:
--             empty when none; see olive)
--   '>I2'     the failure window's length (entries; a window longer than
--             65,535 keeps its newest 65,535)
--   '>c16i6I3I4' if flagged: the code's MAC (its first 16 bytes), its
--             expiry (a time) and its attempts
--   a time    if flagged: the last send; then the one before it
--   the failure window, then the send window.
-- rload reads one (nil: an empty one) as: keep, mac (nil: no code), the
-- code's expiry ms and ns, its attempts, the last send's ms and ns (nil:
-- none), the send before's ms and ns (nil: none), the failure window, the
-- send window, and the log: the older id, answer and time, the newer id,
-- answer and time, and whether answers were moved out. One unpack reads
-- the log with the head.
local function rload(v)
  if not v then return 0, nil, 0, 0, 0, nil, 0, nil, 0, '', '', '', '', 0, '', '', 0, false end
  local k, flags, i1, a1, t1, i2, a2, t2, nf, pos = struct.unpack('>i6BBc0Bc0i6Bc0Bc0i6I2', v)
  local mac, ems, ens, a, lms, lns, pms, pns = nil, 0, 0, 0, nil, 0, nil, 0
  if flags % 2 == 1 then mac, ems, ens, a, pos = struct.unpack('>c16i6I3I4', v, pos) end
  if flags % 4 >= 2 then lms, lns, pos = struct.unpack('>i6I3', v, pos) end
  if flags % 8 >= 4 then pms, pns, pos = struct.unpack('>i6I3', v, pos) end
  return k, mac, ems, ens, a, lms, lns, pms, pns, string.sub(v, pos, pos + nf * 9 - 1), string.sub(v, pos + nf * 9),
    i1, a1, t1, i2, a2, t2, flags >= 8
end

--- rsave
-- rsave writes a recipient's record (its parts as rload returns them) to
-- key: with its TTL until k when extend, else keeping the key's TTL (a
-- record left empty goes). A write that adds something that must be kept
-- for a window extends only when now + the window passes k, and then sets
-- k to that and a quarter more: most writes keep the TTL (SET KEEPTTL
-- costs a third of SET PX on a key that has one), key TTLs only bound
-- what is kept, and the margin absorbs clocks a little apart. A write
-- that adds an answer to the log has k raised by olive.
local function rsave(key, extend, k, mac, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out)
  local flags, code, l, pl = 0, '', '', ''
  if mac then flags, code = 1, struct.pack('>c16i6I3I4', mac, ems, ens, a) end
  if lms then flags, l = flags + 2, struct.pack('>i6I3', lms, lns) end
  if pms then flags, pl = flags + 4, struct.pack('>i6I3', pms, pns) end
  if not extend and flags == 0 and f == '' and s == '' and i2 == '' then
    redis.call('DEL', key)
    return
  end
  if out then flags = flags + 8 end
  if #f > 589815 then f = string.sub(f, -589815) end
  local v = struct.pack('>i6BBc0Bc0i6Bc0Bc0i6I2', k, flags, #i1, i1, #a1, a1, t1, #i2, i2, #a2, a2, t2, #f / 9) .. code .. l .. pl .. f .. s
  if extend then
    redis.call('SET', key, v, 'PX', math.max(k - nms, 1))
  else
    redis.call('SET', key, v, 'KEEPTTL')
  end
end

--- oget
-- A decision whose first key is a recipient's record keeps its answer in
-- the record's log, under its operation's id (opid, ARGV's last; see
-- opID in scripts.go), rather than under an operation's key of its own:
-- no key to create, no second expiry, no call out of Lua (which costs
-- more here than the bytes). oget looks for opid there first (opid == the
-- log's ids: Lua compares strings by reference) and returns the answer it
-- finds, else nil: a retry of a decision that ran returns what it
-- answered, and counts nothing again. The record holds the two last
-- answers; older ones that a retry may still ask for are moved out by
-- olive, and looked for only while the record says so and the older of
-- its two answers is younger than optl (every answer moved out is older
-- than that one). A retry re-sends its first run's ARGV, now included.
local function oget(key, i1, a1, t1, i2, a2, out)
  if opid == i2 then return a2 elseif opid == i1 then return a1 end
  if out and t1 + optl > nms then
    local got = redis.call('GET', key .. ':op:' .. opid)
    if got then return got end
  end
  return nil
end

--- olive
-- olive makes room in the log of key's record for the answer of a
-- decision that counts. The older of its two answers leaves the record:
-- while it is younger than optl (a retry may still come for it: go-redis
-- re-sends within its backoffs of a cut connection, and within the
-- caller's deadline), it moves under a key of its own in the record's
-- slot (the record's key, ':op:' and its id), which lives until it is
-- optl old, and the record says that answers were moved out. So every
-- answer stays findable for optl, however many decisions come in
-- between: a send, an attempt or a failure counts once whatever the
-- client retries. Most records never move one: that takes three
-- decisions that counted on one recipient within optl.
-- olive returns the record's keep k and rsave's extend, raised so that a
-- record given an answer lives optl more (a later write never shortens
-- a record's TTL), and the log's older entry and its flag: the newer
-- entry becomes the older; the new answer, at now (never before the
-- newer entry's time, so that the log's times ascend whatever the
-- callers' clocks), comes after it.
local function olive(key, k, extend, i1, a1, t1, i2, a2, t2, out)
  if i1 ~= '' and t1 + optl > nms then
    redis.call('SET', key .. ':op:' .. i1, a1, 'PX', t1 + optl - nms)
    out = true
  elseif out and t2 + optl <= nms then
    out = false
  end
  if k < nms + optl then k, extend = nms + optl, true end
  return k, extend, i2, a2, t2, out, math.max(nms, t2)
end

--- pload
-- A number prefix's record is one string: '>i6I3' until when (Unix ms,
-- the Guard's clock) a rule may need the key and the send window's length
-- (entries), the send window, then the prefix's conversion counter (empty
-- when the guard does not count prefixes). One key holds both, since both
-- are the prefix's. pload reads one (nil: an empty one) as: keep, the send
-- window, the counter.
local function pload(v)
  if not v then return 0, '', '' end
  local k, n, pos = struct.unpack('>i6I3', v)
  return k, string.sub(v, pos, pos + n * 9 - 1), string.sub(v, pos + n * 9)
end

--- psave
-- psave writes a prefix's record to key: with its TTL until k when extend,
-- else keeping the key's TTL.
local function psave(key, extend, k, l, c)
  local v = struct.pack('>i6I3', k, #l / 9) .. l .. c
  if extend then
    redis.call('SET', key, v, 'PX', math.max(k - nms, 1))
  else
    redis.call('SET', key, v, 'KEEPTTL')
  end
end

--- cprune
-- A conversion counter (of a country, or in a prefix's record) is a
-- string: '>I4I4' its sends and verified codes summed over its buckets,
-- then the buckets, ascending, 14 bytes each ('>i6I4I4': the bucket's
-- number (its start over its length), sends, verified codes). The buckets
-- of the last 12 count; the sums spare reading every bucket on each send.
-- cprune returns counter c without the buckets that left the window by
-- bucket cur (those at or before cur - 12), and its sums.
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

--- cjudge
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

--- cbump
-- cbump returns counter c with sends and verified (1, or -1 for a refund,
-- which never takes a bucket below 0) added in bucket idx.
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

--- ckeep
-- ckeep is until when (Unix ms) counter c must be kept: until its newest
-- bucket leaves the window.
local function ckeep(c, bucket)
  if #c < 22 then return 0 end
  return (struct.unpack('>i6', c, #c - 13) + 13) * bucket
end

--- csave
-- csave writes counter c to key: with its TTL until its newest bucket
-- leaves the window when that is later than before (until when the key
-- was kept: a new bucket), else keeping the key's TTL.
local function csave(key, c, before, bucket)
  local keep = ckeep(c, bucket)
  if keep > before then
    redis.call('SET', key, c, 'PX', math.max(keep - nms, 1))
  else
    redis.call('SET', key, c, 'KEEPTTL')
  end
end

--- cverified
-- cverified counts a verified code in bucket idx of a conversion counter:
-- a country's counter (role 'c') or a prefix's record (role 'q'), whose
-- value val the script read.
local function cverified(role, key, val, idx, bucket)
  if role == 'c' then
    csave(key, cbump(val, idx, 0, 1), ckeep(val or '', bucket), bucket)
    return
  end
  local pk, l, c = pload(val)
  c = cbump(c, idx, 0, 1)
  local keep = ckeep(c, bucket)
  psave(key, keep > pk, math.max(pk, keep), l, c)
end
