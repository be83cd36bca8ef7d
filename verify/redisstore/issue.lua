-- issue: makes a code (its MAC) the recipient's live code.
-- KEYS[1]: recipient hash; ARGV: now_ms, now_ns, mac, ttl_ms.
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'h', ARGV[3], 'e', tstr(tadd(now, ttl)), 'a', 0)
keep(KEYS[1], ttl)
return 0
