-- send: the send rules of one AllowSend over the keys given, atomically.
-- KEYS: in the order of ARGV[4]'s roles: r (recipient record), i (IP
-- address log), p (prefix record), c (the conversion counter of the
-- country); the operation's key last (see once in scripts.go). On one
-- server all come in one call; on a Cluster one call per key.
-- ARGV: now_ms, now_ns, mode ('commit' records the send when every rule of
-- these keys allows it; 'peek' records nothing), roles, interval_ms,
-- recipient count, per_ms, failure count, per_ms, IP count, per_ms,
-- prefix count, per_ms, then the conversion guard: bucket_ms, country
-- minimum, prefix minimum, floor, monitor ('1': report, do not refuse).
-- A count or minimum of 0 turns a rule off.
-- Returns '0' when allowed, '1 rule at_ms at_ns' when refused (until every
-- refusing rule allows), '2 conversion' when allowed although the
-- conversion guard, in monitor mode, would have refused.
local mode, roles = ARGV[3], ARGV[4]
local interval = tonumber(ARGV[5])
local rcount, rper = tonumber(ARGV[6]), tonumber(ARGV[7])
local fcount, fper = tonumber(ARGV[8]), tonumber(ARGV[9])
local icount, iper = tonumber(ARGV[10]), tonumber(ARGV[11])
local pcount, pper = tonumber(ARGV[12]), tonumber(ARGV[13])
local bucket, cmin, pmin = tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])
local floor, monitor = tonumber(ARGV[17]), ARGV[18] == '1'
local n = #roles
local v = redis.call('MGET', opkey, unpack(KEYS, 1, n))
if v[1] then return v[1] end
local cur = math.floor(nms / bucket)

-- The refusal: the latest allowed time among the refusing rules, its rule,
-- and whether the failure budget is among them (then it names the refusal).
local rule, rms, rns, budget = nil, nil, nil, false
local function consider(name, ms, ns)
  if ms == nil or not later(ms, ns) then return end
  if name == 'failures' then budget = true end
  if rms == nil or ms > rms or (ms == rms and ns > rns) then rule, rms, rns = name, ms, ns end
end

local monitored = false
local function conversion(c, min)
  local s, ver
  c, s, ver = cprune(c, cur)
  local at = cjudge(c, s, ver, cur, bucket, min, floor)
  if at and monitor then monitored = true else consider('conversion', at, 0) end
  return c
end

local state = {}
for k = 1, n do
  local role, val = string.sub(roles, k, k), v[k + 1]
  if role == 'r' then
    local r = rload(val)
    if fcount > 0 then
      r.f = wkeep(r.f, fper)
      consider('failures', wnext(r.f, fcount, fper))
    end
    if interval > 0 and r.lms then consider('send_interval', r.lms + interval, r.lns) end
    if rcount > 0 then
      r.s = wkeep(r.s, rper)
      consider('recipient_sends', wnext(r.s, rcount, rper))
    end
    state[k] = r
  elseif role == 'i' then
    local w = wkeep(val, iper)
    consider('ip_sends', wnext(w, icount, iper))
    state[k] = w
  elseif role == 'p' then
    local p = pload(val)
    if pcount > 0 then
      p.l = wkeep(p.l, pper)
      consider('prefix_sends', wnext(p.l, pcount, pper))
    end
    if pmin > 0 then p.c = conversion(p.c, pmin) end
    state[k] = p
  else
    state[k] = conversion(val, cmin)
  end
end

if rule then
  if budget then rule = 'failures' end
  return string.format('1 %s %.0f %d', rule, rms, rns)
end
if mode ~= 'commit' then return '0' end

local wrote = false
for k = 1, n do
  local role, key = string.sub(roles, k, k), KEYS[k]
  if role == 'r' then
    local r, keep = state[k], 0
    if interval > 0 then
      -- The send before is kept, so that a refund can restore it.
      r.pms, r.pns = r.lms, r.lns
      r.lms, r.lns = nms, nns
      keep = interval
    end
    if rcount > 0 then
      r.s = wadd(r.s, rcount)
      keep = math.max(keep, rper)
    end
    if keep > 0 then
      rkeep(r, keep)
      rsave(key, r, true)
      wrote = true
    end
  elseif role == 'i' then
    redis.call('SET', key, wadd(state[k], icount), 'PX', iper + math.floor(iper / 4))
    wrote = true
  elseif role == 'p' then
    local p = state[k]
    if pcount > 0 then
      p.l = wadd(p.l, pcount)
      p.k = math.max(p.k, nms + pper + math.floor(pper / 4))
    end
    if pmin > 0 then
      p.c = cbump(p.c, cur, 1, 0)
      p.k = math.max(p.k, ckeep(p.c, bucket))
    end
    if pcount > 0 or pmin > 0 then
      psave(key, p, true)
      wrote = true
    end
  else
    local c = cbump(state[k], cur, 1, 0)
    redis.call('SET', key, c, 'PX', math.max(ckeep(c, bucket) - nms, 1))
    wrote = true
  end
end
local answer = '0'
if monitored then answer = '2 conversion' end
if wrote then return once(answer) end
return answer
