-- send: the send rules of one AllowSend over the keys given, atomically.
-- KEYS: in the order of ARGV[4]'s roles: r (recipient record), i (IP
-- address window), p (prefix record), c (the conversion counter of the
-- country); without r, the operation's key last. On one server all come
-- in one call; on a Cluster one call per key.
-- A send that counted keeps its answer in the recipient's record (see
-- olive in lib.lua), or without r under the operation's key.
-- ARGV: now_ms, now_ns, mode ('commit' records the send when every rule of
-- these keys allows it; 'peek' records nothing), roles, interval_ms,
-- recipient count, per_ms, failure count, per_ms, IP count, per_ms,
-- prefix count, per_ms, then the conversion guard: bucket_ms, country
-- minimum, prefix minimum, floor, monitor ('1': report, do not refuse),
-- the operation's id.
-- A count or minimum of 0 turns a rule off.
-- Returns '0' when allowed, '1 rule at_ms at_ns' when refused (until every
-- refusing rule allows), '2 conversion' when allowed although the
-- conversion guard, in monitor mode, would have refused.
--[[uses: now wkeep wnext wadd rload rsave oget olive pload psave cprune cjudge cbump ckeep csave]]
local mode, roles = ARGV[3], ARGV[4]
local interval = tonumber(ARGV[5])
local rcount, rper = tonumber(ARGV[6]), tonumber(ARGV[7])
local fcount, fper = tonumber(ARGV[8]), tonumber(ARGV[9])
local icount, iper = tonumber(ARGV[10]), tonumber(ARGV[11])
local pcount, pper = tonumber(ARGV[12]), tonumber(ARGV[13])
local bucket, cmin, pmin = tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])
local floor, monitor = tonumber(ARGV[17]), ARGV[18] == '1'
local n = #roles
local opkey = KEYS[n + 1]
local v = redis.call('MGET', unpack(KEYS))
if opkey and v[n + 1] then return v[n + 1] end
local cur = math.floor(nms / bucket)

-- The refusal: the latest allowed time among the refusing rules, its rule,
-- and whether the failure budget is among them (then it names the refusal).
local rule, rms, rns, budget = nil, nil, nil, false
local monitored = false
local function consider(name, ms, ns)
  if ms == nil or ms < nms or (ms == nms and ns <= nns) then return end
  if name == 'failures' then budget = true end
  if rms == nil or ms > rms or (ms == rms and ns > rns) then rule, rms, rns = name, ms, ns end
end
local function judge(c, min)
  local s, ver
  c, s, ver = cprune(c, cur)
  local at = cjudge(c, s, ver, cur, bucket, min, floor)
  if at and monitor then monitored = true else consider('conversion', at, 0) end
  return c
end

-- What each key holds: the recipient's record, the IP's window, the
-- prefix's record, the country's counter (read once, written below).
local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out
local ip, pk, pl, pc, cc
for i = 1, n do
  local role, val = string.sub(roles, i, i), v[i]
  if role == 'r' then
    k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(val)
    local got = oget(KEYS[i], i1, a1, t1, i2, a2, out)
    if got then return got end
    if fcount > 0 then
      f = wkeep(f, fper)
      consider('failures', wnext(f, fcount, fper))
    end
    if interval > 0 and lms then consider('send_interval', lms + interval, lns) end
    if rcount > 0 then
      s = wkeep(s, rper)
      consider('recipient_sends', wnext(s, rcount, rper))
    end
  elseif role == 'i' then
    ip = wkeep(val, iper)
    consider('ip_sends', wnext(ip, icount, iper))
  elseif role == 'p' then
    pk, pl, pc = pload(val)
    if pcount > 0 then
      pl = wkeep(pl, pper)
      consider('prefix_sends', wnext(pl, pcount, pper))
    end
    if pmin > 0 then pc = judge(pc, pmin) end
  else
    cc = judge(val, cmin)
  end
end

if rule then
  if budget then rule = 'failures' end
  return string.format('1 %s %.0f %d', rule, rms, rns)
end
if mode ~= 'commit' then return '0' end

local answer = '0'
if monitored then answer = '2 conversion' end
local wrote = false
for i = 1, n do
  local role, key = string.sub(roles, i, i), KEYS[i]
  if role == 'r' then
    local keep = 0
    if interval > 0 then
      -- The send before is kept, so that a refund can restore it.
      pms, pns, lms, lns = lms, lns, nms, nns
      keep = interval
    end
    if rcount > 0 then
      s = wadd(s, rcount)
      keep = math.max(keep, rper)
    end
    -- The record keeps the answer when any key counts the send.
    if keep > 0 or n > 1 then
      local extend = nms + keep > k
      if extend then k = nms + keep + math.floor(keep / 4) end
      local j, b, u, moved, tn
      k, extend, j, b, u, moved, tn = olive(key, k, extend, i1, a1, t1, i2, a2, t2, out)
      rsave(key, extend, k, code, ems, ens, a, lms, lns, pms, pns, f, s, j, b, u, opid, answer, tn, moved)
    end
  elseif role == 'i' then
    redis.call('SET', key, wadd(ip, icount), 'PX', iper + math.floor(iper / 4))
    wrote = true
  elseif role == 'p' then
    local keep = 0
    if pcount > 0 then
      pl = wadd(pl, pcount)
      if nms + pper > pk then keep = nms + pper + math.floor(pper / 4) end
    end
    if pmin > 0 then
      pc = cbump(pc, cur, 1, 0)
      keep = math.max(keep, ckeep(pc, bucket))
    end
    if pcount > 0 or pmin > 0 then
      psave(key, keep > pk, math.max(pk, keep), pl, pc)
      wrote = true
    end
  else
    csave(key, cbump(cc, cur, 1, 0), ckeep(cc, bucket), bucket)
    wrote = true
  end
end
if wrote and opkey then redis.call('SET', opkey, answer, 'PX', optl) end
return answer
