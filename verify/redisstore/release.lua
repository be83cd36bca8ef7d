-- release: drops a webhook event's claim if the caller holds it; never
-- another holder's claim (taken after the caller's lease ran out), never
-- a done mark.
-- KEYS[1]: the event's key. ARGV[1]: the claim's value, "c:" and the holder.
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
