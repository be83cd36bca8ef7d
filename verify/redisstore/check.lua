-- check: checks a code's MAC against the recipient's live code. It is the
-- hot path, so it stands alone (no lib.lua: fewer closures a call) and
-- makes at most four calls: HMGET, one HSET or HDEL, PTTL and PEXPIRE.
-- KEYS[1]: recipient hash (then the conversion counters, on one server);
-- ARGV: now_ms, now_ns, mac, max attempts, failure count, per_ms (count 0:
-- no budget), the conversion guard's bucket_ms (0: off).
-- Returns {0} verified (the code is used up), {1, attempts left} wrong,
-- {2} locked (the attempts are used up), {3} no live code,
-- {4, 'failures', at_ms, at_ns} failure budget spent until then.
-- Times are as in lib.lua: "ms" or "ms.nnnnnn" strings.
-- The MACs are compared with Lua's ==: it is not constant-time, but they
-- are keyed MACs, so timing reveals nothing about the code.
local key, mac, max = KEYS[1], ARGV[3], tonumber(ARGV[4])
local nms, nns = tonumber(ARGV[1]), tonumber(ARGV[2])
local fcount, fper = tonumber(ARGV[5]), tonumber(ARGV[6])

local function parse(s)
  local dot = string.find(s, '.', 1, true)
  if not dot then return tonumber(s), 0 end
  return tonumber(string.sub(s, 1, dot - 1)), tonumber(string.sub(s, dot + 1))
end

local f = redis.call('HMGET', key, 'h', 'e', 'a', 'f')

-- The failure budget first: the entries still in the window at now.
local fails = {}
if fcount > 0 and f[4] then
  for e in string.gmatch(f[4], '[^,]+') do
    local ms, ns = parse(e)
    local ems = ms + fper
    if ems > nms or (ems == nms and ns > nns) then fails[#fails + 1] = e end
  end
  if #fails >= fcount then
    local ms, ns = parse(fails[#fails - fcount + 1])
    return {4, 'failures', ms + fper, ns}
  end
end

if not f[1] or not f[2] then return {3} end
local ems, ens = parse(f[2])
if ems < nms or (ems == nms and ens <= nns) then
  redis.call('HDEL', key, 'h', 'e', 'a')
  return {3}
end
local used = tonumber(f[3]) or 0
if used >= max then return {2} end
if f[1] == mac then
  redis.call('HDEL', key, 'h', 'e', 'a')
  -- A verified code counts in the conversion guard: KEYS[2] and on (but
  -- the last, the operation's key) are the counters of the recipient's
  -- country and prefix, bumped in the bucket of now (see lib.lua).
  local bucket = tonumber(ARGV[7])
  if bucket and bucket > 0 and #KEYS > 2 then
    local idx = math.floor(nms / bucket)
    local field, ttl = 'v' .. string.format('%.0f', idx), (idx + 13) * bucket - nms
    for k = 2, #KEYS - 1 do
      redis.call('HINCRBY', KEYS[k], field, 1)
      if redis.call('PTTL', KEYS[k]) < ttl then redis.call('PEXPIRE', KEYS[k], ttl) end
    end
  end
  return {0}
end

used = used + 1
if fcount > 0 then
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
  redis.call('HSET', key, 'a', used, 'f', table.concat(fails, ','))
  local ttl = redis.call('PTTL', key)
  if ttl < fper then redis.call('PEXPIRE', key, fper + math.floor(fper / 4)) end
else
  redis.call('HSET', key, 'a', used)
end
if used >= max then return {2} end
return {1, max - used}
