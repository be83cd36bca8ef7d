-- refbudget: a Service ref and its recipient's failure budget in one round
-- trip (one server or Sentinel only: the recipient's key is named here,
-- from the record, so it is not among KEYS and may be in another Cluster
-- slot). Like check.lua it stands alone, for the hot path.
-- KEYS[1]: the ref's key; ARGV: now_ms, now_ns, failure count, per_ms
-- (count 0: no budget), the store's key prefix.
-- Returns {2} no such ref, {0, record} the record (budget allowed or not
-- checked), {1, 'failures', at_ms, at_ns, record} budget spent until then.
-- The record's expiry by the Guard's clock is compared on the Go side.
local v = redis.call('GET', KEYS[1])
if not v then return {2} end
local fcount, fper = tonumber(ARGV[3]), tonumber(ARGV[4])
if fcount <= 0 then return {0, v} end
local ok, rec = pcall(cjson.decode, v)
if not ok or type(rec) ~= 'table' or type(rec['r']) ~= 'string' or rec['r'] == '' then
  return {0, v} -- the Go side says what is wrong with it
end
local f = redis.call('HGET', ARGV[5] .. 'r:{' .. rec['r'] .. '}', 'f')
if not f then return {0, v} end

local nms, nns = tonumber(ARGV[1]), tonumber(ARGV[2])
local function parse(s)
  local dot = string.find(s, '.', 1, true)
  if not dot then return tonumber(s), 0 end
  return tonumber(string.sub(s, 1, dot - 1)), tonumber(string.sub(s, dot + 1))
end
-- As check.lua: the entries still in the window at now.
local fails = {}
for e in string.gmatch(f, '[^,]+') do
  local ms, ns = parse(e)
  local ems = ms + fper
  if ems > nms or (ems == nms and ns > nns) then fails[#fails + 1] = e end
end
if #fails >= fcount then
  local ms, ns = parse(fails[#fails - fcount + 1])
  return {1, 'failures', ms + fper, ns, v}
end
return {0, v}
