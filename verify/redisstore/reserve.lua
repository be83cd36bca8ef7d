-- reserve: reserves one check of a provider's code (verify's ReserveCheck):
-- one attempt of the ref and one failure of its recipient, atomically.
-- It stands alone (no lib.lua), for the hot path.
-- KEYS[1]: the ref's hash. ARGV: now_ms, now_ns, max attempts, failure
-- count, per_ms (count 0: no budget), mode, the store's key prefix.
-- Mode 'both' (one server or Sentinel): the recipient's hash is named here
-- from the record, so it is not among KEYS; a Cluster would refuse that
-- (another slot), so there mode 'ref' reserves the attempt alone and
-- failures.lua then counts the failure.
-- Returns, with the record's fields (HGETALL) after the status:
-- {0, ...} reserved (the record's 'a' counts it), {1, 'failures', at_ms,
-- at_ns, ...} budget spent until then, {2, ...} attempts used, {3} no live
-- ref.
local ref = KEYS[1]
local nms, nns = tonumber(ARGV[1]), tonumber(ARGV[2])
local max, fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

local function parse(s)
  local dot = string.find(s, '.', 1, true)
  if not dot then return tonumber(s), 0 end
  return tonumber(string.sub(s, 1, dot - 1)), tonumber(string.sub(s, dot + 1))
end

local rec = redis.call('HGETALL', ref)
local x, a, r
for i = 1, #rec, 2 do
  local k = rec[i]
  if k == 'x' then x = rec[i + 1] elseif k == 'a' then a = i + 1 elseif k == 'r' then r = rec[i + 1] end
end
if not x then return {3} end
local ems, ens = parse(x)
if ems < nms or (ems == nms and ens <= nns) then return {3} end

-- The failure budget first: the entries still in the window at now.
local rkey, fails
if ARGV[6] == 'both' and r and r ~= '' and fcount > 0 then
  rkey = ARGV[7] .. 'r:{' .. r .. '}'
  fails = {}
  local f = redis.call('HGET', rkey, 'f')
  if f then
    for e in string.gmatch(f, '[^,]+') do
      local ms, ns = parse(e)
      local ems = ms + fper
      if ems > nms or (ems == nms and ns > nns) then fails[#fails + 1] = e end
    end
  end
  if #fails >= fcount then
    local ms, ns = parse(fails[#fails - fcount + 1])
    local out = {1, 'failures', ms + fper, ns}
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
  -- fails is ascending and holds fewer than fcount entries; now is its
  -- newest unless another instance's clock runs ahead.
  local now = ARGV[1]
  if ARGV[2] ~= '0' then now = string.format('%s.%06d', ARGV[1], nns) end
  local i = #fails + 1
  while i > 1 do
    local ms, ns = parse(fails[i - 1])
    if ms < nms or (ms == nms and ns <= nns) then break end
    i = i - 1
  end
  table.insert(fails, i, now)
  redis.call('HSET', rkey, 'f', table.concat(fails, ','))
  local ttl = redis.call('PTTL', rkey)
  if ttl < fper then redis.call('PEXPIRE', rkey, fper + math.floor(fper / 4)) end
end
table.insert(rec, 1, 0)
return rec
