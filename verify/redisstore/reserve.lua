-- reserve: reserves one check of a provider's code (verify's ReserveCheck):
-- one attempt of the ref and one failure of its recipient, atomically.
-- KEYS[1]: the ref's hash, then the operation's key (see once in
-- scripts.go). ARGV: now_ms, now_ns, max attempts, failure count, per_ms
-- (count 0: no budget), mode, the head of a recipient record's key (the
-- key without the pseudonym and the closing brace).
-- Mode 'both' (one server or Sentinel): the recipient's record is named
-- here from the ref's, so it is not among KEYS; a Cluster would refuse
-- that (another slot), so there mode 'ref' reserves the attempt alone and
-- failures.lua then counts the failure.
-- Returns, with the record's fields (HGETALL) after the status:
-- {0, ...} reserved (the record's 'a' counts it), {1, 'failures', at_ms,
-- at_ns, ...} budget spent until then, {2, ...} attempts used, {3} no live
-- ref. A reservation keeps the attempts it left under the operation's key:
-- a retry answers the record with them (its other fields do not change),
-- or {3} when the ref went in between.
--[[uses: now wkeep wnext wadd rload rsave]]
local done = redis.call('GET', opkey)
local ref = KEYS[1]
local max, fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

local rec = redis.call('HGETALL', ref)
local x, a, who
for i = 1, #rec, 2 do
  local k = rec[i]
  if k == 'x' then x = rec[i + 1] elseif k == 'a' then a = i + 1 elseif k == 'r' then who = rec[i + 1] end
end
if done then
  if not x then return {3} end
  if a then rec[a] = done else rec[#rec + 1] = 'a'; rec[#rec + 1] = done end
  table.insert(rec, 1, 0)
  return rec
end
if not x then return {3} end
-- A ref's expiry is text, "ms" or "ms.nnnnnn" (the Go side writes refs).
local ems, ens = tonumber(x), 0
local dot = string.find(x, '.', 1, true)
if dot then ems, ens = tonumber(string.sub(x, 1, dot - 1)), tonumber(string.sub(x, dot + 1)) end
if ems < nms or (ems == nms and ens <= nns) then return {3} end

-- The failure budget first: the entries still in the window at now.
local rkey, k, code, rems, rens, ra, lms, lns, pms, pns, f, s
if ARGV[6] == 'both' and who and who ~= '' and fcount > 0 then
  rkey = ARGV[7] .. who .. '}'
  k, code, rems, rens, ra, lms, lns, pms, pns, f, s = rload(redis.call('GET', rkey))
  f = wkeep(f, fper)
  local ms, ns = wnext(f, fcount, fper)
  if ms then
    local out = {1, 'failures', ms, ns}
    for i = 1, #rec do out[#out + 1] = rec[i] end
    return out
  end
end

local used = 0
if a then used = tonumber(rec[a]) end
if used >= max then
  table.insert(rec, 1, 2)
  return rec
end
used = used + 1
redis.call('HSET', ref, 'a', used)
if a then rec[a] = tostring(used) else rec[#rec + 1] = 'a'; rec[#rec + 1] = tostring(used) end
if rkey then
  f = wadd(f, fcount)
  local extend = nms + fper > k
  if extend then k = nms + fper + math.floor(fper / 4) end
  rsave(rkey, extend, k, code, rems, rens, ra, lms, lns, pms, pns, f, s)
end
table.insert(rec, 1, 0)
redis.call('SET', opkey, used, 'PX', optl)
return rec
