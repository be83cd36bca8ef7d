-- check: checks a code's MAC against the recipient's live code.
-- KEYS[1]: the recipient's record; on one server then the conversion
-- counters a verified code counts in, in the order of ARGV[8]'s roles (c
-- the country's counter, p the prefix's record).
-- ARGV: now_ms, now_ns, mac (16 bytes), max attempts, failure count,
-- per_ms (count 0: no budget), the conversion guard's bucket_ms, roles,
-- the operation's id (see inRecord in scripts.go: the answer of a check
-- that counted is kept in the record; see olive in lib.lua).
-- Returns '0' verified (the code is used up), '1 left' wrong (attempts
-- left), '2' locked (the attempts are used up), '3' no live code,
-- '4 failures at_ms at_ns' failure budget spent until then.
-- The MACs are compared with Lua's ==: it is not constant-time, but they
-- are keyed MACs, so timing reveals nothing about the code.
--[[uses: now wkeep wnext wadd rload rsave oget olive]]
-- One read: the record and the counters (which a verified code needs:
-- reading them costs a wrong code less than a second call costs a right
-- one).
local v = redis.call('MGET', unpack(KEYS))
local mac, max = ARGV[3], tonumber(ARGV[4])
local fcount, fper = tonumber(ARGV[5]), tonumber(ARGV[6])
local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(v[1])
local got = oget(KEYS[1], i1, a1, t1, i2, a2, out)
if got then return got end

-- The failure budget first: the entries still in the window at now.
if fcount > 0 then
  f = wkeep(f, fper)
  local ms, ns = wnext(f, fcount, fper)
  if ms then return string.format('4 failures %.0f %d', ms, ns) end
end

if not code or ems < nms or (ems == nms and ens <= nns) then return '3' end
if a >= max then return '2' end
if code == mac then
  local kept, extend, j, b, u, moved, tn = olive(KEYS[1], k, false, i1, a1, t1, i2, a2, t2, out)
  rsave(KEYS[1], extend, kept, nil, 0, 0, 0, lms, lns, pms, pns, f, s, j, b, u, opid, '0', tn, moved)
  -- A verified code counts in the conversion guard, in the bucket of now
  -- (a send prunes the buckets that left the window, and their sums).
  if #KEYS > 1 then
    --[[uses: pload psave cbump ckeep csave cverified]]
    local roles, bucket = ARGV[8], tonumber(ARGV[7])
    local idx = math.floor(nms / bucket)
    for i = 1, #roles do
      cverified(string.sub(roles, i, i), KEYS[i + 1], v[i + 1], idx, bucket)
    end
  end
  return '0'
end

a = a + 1
local extend = false
if fcount > 0 then
  -- f holds fewer than fcount entries; the key must last the window.
  f = wadd(f, fcount)
  extend = nms + fper > k
  if extend then k = nms + fper + math.floor(fper / 4) end
end
local answer = '2'
if a < max then answer = '1 ' .. (max - a) end
local j, b, u, moved, tn
k, extend, j, b, u, moved, tn = olive(KEYS[1], k, extend, i1, a1, t1, i2, a2, t2, out)
rsave(KEYS[1], extend, k, code, ems, ens, a, lms, lns, pms, pns, f, s, j, b, u, opid, answer, tn, moved)
return answer
