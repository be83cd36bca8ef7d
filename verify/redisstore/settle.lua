-- settle: settles a reserved check (verify's SettleCheck).
-- KEYS: in the order of ARGV[4]'s roles: f (the ref's hash), r (the
-- recipient's hash), c and q (the conversion counters of its country and
-- prefix, counted for 'verified'). On one server all come in one call; on
-- a Cluster one call per key.
-- ARGV: reserved_ms, reserved_ns (the reservation's time), outcome
-- ('verified', 'undo', 'gone', 'locked'), roles, max attempts, per_ms of
-- the failure budget, bucket_ms of the conversion guard.
-- verified and gone delete the ref, undo gives its attempt back, locked
-- makes its attempts used up; every outcome but locked takes the failure
-- reserved at that time back.
local outcome, roles = ARGV[3], ARGV[4]
local max, per = tonumber(ARGV[5]), tonumber(ARGV[6])
for k = 1, #roles do
  local role, key = string.sub(roles, k, k), KEYS[k]
  if role == 'f' then
    if outcome == 'verified' or outcome == 'gone' then
      redis.call('DEL', key)
    elseif redis.call('EXISTS', key) == 1 then
      local a = tonumber(redis.call('HGET', key, 'a') or '0')
      if outcome == 'undo' and a > 0 then redis.call('HSET', key, 'a', a - 1) end
      if outcome == 'locked' and a < max then redis.call('HSET', key, 'a', max) end
    end
  elseif role == 'c' or role == 'q' then
    if outcome == 'verified' then cbump(key, 'v', now, tonumber(ARGV[7]), 1) end
  elseif outcome ~= 'locked' then
    local f = redis.call('HGET', key, 'f')
    if f then redis.call('HSET', key, 'f', wstr(wremove(wload(f, now, per), now))) end
  end
end
return 0
