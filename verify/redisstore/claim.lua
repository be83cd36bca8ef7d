-- claim: claims a webhook event for a holder (otpkit.Deduper's Claim): a
-- SET NX, as a script so that WithReplicas can wait for it.
-- KEYS[1]: the event's key. ARGV[1]: the claim's value ("c:" and the
-- holder), ARGV[2]: the lease, ms.
-- Returns 1 when claimed, 0 when the key holds a claim (whoever holds it)
-- or a done mark.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
