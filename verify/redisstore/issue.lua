-- issue: makes a code (its MAC) the recipient's live code.
-- KEYS[1]: the recipient's record; ARGV: now_ms, now_ns, mac (16 bytes),
-- ttl_ms. Returns 0.
-- It needs no operation key: a retry of this very Issue finds the same
-- MAC and expiry and changes nothing, so it cannot give back an attempt
-- that a check took in between.
--[[uses: now rload rsave]]
local key, mac, ttl = KEYS[1], ARGV[3], tonumber(ARGV[4])
local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(redis.call('GET', key))
if code == mac and ems == nms + ttl and ens == nns then return 0 end
local extend = nms + ttl > k
if extend then k = nms + ttl + math.floor(ttl / 4) end
rsave(key, extend, k, mac, nms + ttl, nns, 0, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out)
return 0
