-- delete: forgets a ref (verify's DeleteRef). KEYS[1]: the ref.
redis.call('DEL', KEYS[1])
return 0
