-- delete: forgets a ref (verify's DeleteRef), or with ARGV[1] a field of
-- a hash (Unlock: the recipient's failures). KEYS[1]: the key.
if ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('DEL', KEYS[1]) end
return 0
