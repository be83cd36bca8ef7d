-- saveref: replaces what a ref holds (verify's SaveRef).
-- KEYS[1]: the ref's hash; ARGV: ttl_ms, then the record's fields as name,
-- value pairs (its expiry 'x' among them).
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
