-- issue: makes a code (its MAC) the recipient's live code.
-- KEYS[1]: the recipient's record; ARGV: now_ms, now_ns, mac (16 bytes),
-- ttl_ms. Returns 0.
-- It needs no operation key: a retry of this very Issue finds the same
-- MAC and expiry and changes nothing, so it cannot give back an attempt
-- that a check took in between.
local key, mac, ttl = KEYS[1], ARGV[3], tonumber(ARGV[4])
local r = rload(redis.call('GET', key))
if r.mac == mac and r.ems == nms + ttl and r.ens == nns then return 0 end
r.mac, r.ems, r.ens, r.a = mac, nms + ttl, nns, 0
rkeep(r, ttl)
rsave(key, r, true)
return 0
