-- done: marks a webhook event handled (otpkit.Deduper's Done), whoever
-- holds its claim. KEYS[1]: the event's key. ARGV[1]: how long the mark
-- is kept, ms ('0': not kept, the key goes).
if ARGV[1] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], 'd', 'PX', ARGV[1])
end
return 0
