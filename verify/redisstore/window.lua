-- window: a sliding-window log is the times of the events a rate counts,
-- ascending, at most the rate's count of them (see now.lua for a time).
-- Being ascending, the entries that still count at now are a suffix; the
-- functions below read the few entries they need, never the whole log.

-- wkeep returns the entries of log w that count at now (e + per > now).
local function wkeep(w, per)
  if not w then return '' end
  local i, n = 0, #w / 9
  while i < n do
    local ms, ns = struct.unpack('>i6I3', w, i * 9 + 1)
    if later(ms + per, ns) then break end
    i = i + 1
  end
  if i == 0 then return w end
  return string.sub(w, i * 9 + 1)
end

-- wnext returns when window w (kept at now) of count per per allows the
-- next event: nil when it allows one now.
local function wnext(w, count, per)
  local n = #w / 9
  if n < count then return nil end
  local ms, ns = struct.unpack('>i6I3', w, (n - count) * 9 + 1)
  return ms + per, ns
end

-- wadd returns w with now added in order (now is the newest entry unless
-- another instance's clock runs ahead), keeping the latest count entries.
local function wadd(w, count)
  local n = #w / 9
  local i = n
  while i > 0 do
    local ms, ns = struct.unpack('>i6I3', w, (i - 1) * 9 + 1)
    if not later(ms, ns) then break end
    i = i - 1
  end
  local t = struct.pack('>i6I3', nms, nns)
  if i == n then w = w .. t else w = string.sub(w, 1, i * 9) .. t .. string.sub(w, i * 9 + 1) end
  if n + 1 > count then w = string.sub(w, (n + 1 - count) * 9 + 1) end
  return w
end

-- wremove returns w without one entry at now (a refund, a settled check).
local function wremove(w)
  local t = struct.pack('>i6I3', nms, nns)
  for i = #w / 9, 1, -1 do
    if string.sub(w, (i - 1) * 9 + 1, i * 9) == t then
      return string.sub(w, 1, (i - 1) * 9) .. string.sub(w, i * 9 + 1)
    end
  end
  return w
end
