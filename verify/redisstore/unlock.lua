-- unlock: forgets a recipient's failures (verify's Unlock).
-- KEYS[1]: the recipient's record.
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = rload(v)
if r.f == '' then return 0 end
r.f = ''
rsave(KEYS[1], r, false)
return 0
