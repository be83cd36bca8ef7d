-- Helpers every otpkit script starts with (the Go side prepends this file).
--
-- A time is {ms, ns}: Unix milliseconds and the nanoseconds within them
-- (0 <= ns < 1e6), because a Lua number (a double) cannot hold Unix
-- nanoseconds exactly. Durations are whole milliseconds, so adding one
-- touches ms only. Stored times are strings "ms" or "ms.nnnnnn".

local function tparse(s)
  local ms, ns = string.match(s, '^(%-?%d+)%.?(%d*)$')
  return {tonumber(ms), tonumber(ns) or 0}
end

local function tstr(t)
  if t[2] == 0 then return string.format('%.0f', t[1]) end
  return string.format('%.0f.%06d', t[1], t[2])
end

local function tadd(t, ms) return {t[1] + ms, t[2]} end

-- a <= b
local function tle(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] <= b[2]) end

-- A window is a sliding-window log: the times of the events a rate counts,
-- ascending, stored comma-separated; never more than the rate's count.

-- wload parses log s and keeps the entries that count at now (e + per > now).
local function wload(s, now, per)
  local w = {}
  if s then
    for e in string.gmatch(s, '[^,]+') do
      local t = tparse(e)
      if not tle(tadd(t, per), now) then w[#w + 1] = t end
    end
  end
  return w
end

-- wallowed returns when window w of count per per allows the next event
-- (nil: now).
local function wallowed(w, count, per)
  if #w < count then return nil end
  return tadd(w[#w - count + 1], per)
end

-- wadd records now in w in order, keeping the latest count entries.
local function wadd(w, now, count)
  local i = #w + 1
  while i > 1 and not tle(w[i - 1], now) do i = i - 1 end
  table.insert(w, i, now)
  while #w > count do table.remove(w, 1) end
  return w
end

local function wstr(w)
  local out = {}
  for i, t in ipairs(w) do out[i] = tstr(t) end
  return table.concat(out, ',')
end

-- wremove drops one entry equal to t (a refund).
local function wremove(w, t)
  for i = #w, 1, -1 do
    if w[i][1] == t[1] and w[i][2] == t[2] then
      table.remove(w, i)
      return w
    end
  end
  return w
end

-- keep makes key live at least ms more milliseconds (key TTLs only bound
-- what is kept; the rules compare stored times with now). It sets a quarter
-- more, so that the next writes to the key need no PEXPIRE.
local function keep(key, ms)
  if ms <= 0 then return end
  local ttl = redis.call('PTTL', key)
  if ttl < ms then redis.call('PEXPIRE', key, ms + math.floor(ms / 4)) end
end

-- A refusal: the latest allowed time among the refusing rules, its rule,
-- and whether the failure budget is among them.
local function refusal() return {rule = nil, at = nil, failures = false} end

local function consider(r, rule, at, now)
  if at == nil or tle(at, now) then return end
  if rule == 'failures' then r.failures = true end
  if r.at == nil or not tle(at, r.at) then r.rule, r.at = rule, at end
end

-- refused returns the script's answer for r, {1, rule, at_ms, at_ns} (when
-- every refusing rule allows again), or nil.
local function refused(r)
  if r.rule == nil then return nil end
  local rule = r.rule
  if r.failures then rule = 'failures' end
  return {1, rule, r.at[1], r.at[2]}
end

local now = {tonumber(ARGV[1]), tonumber(ARGV[2])}

-- The conversion guard's counters: a hash per country or prefix with a
-- field 's<n>' (sends) and 'v<n>' (verified codes) per bucket n (a
-- bucket's number is its start in ms over its length; the last 12 count).

-- cjudge returns when key's counts allow sends again (nil: now), pruning
-- the buckets that left the window: at least min sends in the window of
-- which fewer than floor were verified refuse until the oldest counted
-- bucket leaves it.
local function cjudge(key, now, bucket, min, floor)
  local cur = math.floor(now[1] / bucket)
  local f = redis.call('HGETALL', key)
  local sends, verified, oldest, stale = 0, 0, nil, {}
  for i = 1, #f, 2 do
    local idx = tonumber(string.sub(f[i], 2))
    if idx <= cur - 12 then
      stale[#stale + 1] = f[i]
    elseif idx <= cur then
      local n = tonumber(f[i + 1])
      if string.sub(f[i], 1, 1) == 's' then
        sends = sends + n
        if n > 0 and (oldest == nil or idx < oldest) then oldest = idx end
      else
        verified = verified + n
      end
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  if min <= 0 or sends < min or verified >= floor * sends then return nil end
  return {(oldest + 12) * bucket, 0}
end

-- cbump adds by to key's kind ('s' or 'v') in the bucket of time t and keeps
-- the key for the window.
local function cbump(key, kind, t, bucket, by)
  local idx = math.floor(t[1] / bucket)
  local field = kind .. string.format('%.0f', idx)
  if by < 0 and tonumber(redis.call('HGET', key, field) or '0') <= 0 then return end
  redis.call('HINCRBY', key, field, by)
  keep(key, (idx + 13) * bucket - t[1])
end
