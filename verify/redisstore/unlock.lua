-- unlock: forgets a recipient's failures (verify's Unlock).
-- KEYS[1]: the recipient's record. It keeps the key's TTL.
--[[uses: now rload rsave]]
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local k, code, ems, ens, a, lms, lns, pms, pns, f, s, i1, a1, t1, i2, a2, t2, out = rload(v)
if f ~= '' then rsave(KEYS[1], false, k, code, ems, ens, a, lms, lns, pms, pns, '', s, i1, a1, t1, i2, a2, t2, out) end
return 0
