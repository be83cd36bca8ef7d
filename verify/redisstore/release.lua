-- release: drops a webhook event's claim, never its done mark.
-- KEYS[1]: the event's key.
if redis.call('GET', KEYS[1]) == 'c' then redis.call('DEL', KEYS[1]) end
return 0
