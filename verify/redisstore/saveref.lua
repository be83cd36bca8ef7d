-- saveref: replaces what a ref holds (verify's SaveRef).
-- KEYS[1]: the ref; the operation's key last (see once in scripts.go).
-- ARGV: the record's value (see refValue in refs.go), ttl_ms.
-- A retry of this very save changes nothing: a check reserved in between
-- keeps its attempt.
if redis.call('EXISTS', opkey) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', opkey, '0', 'PX', optl)
return 0
