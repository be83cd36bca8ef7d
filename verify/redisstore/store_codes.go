package redisstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// Issue implements verify.Store: one script, one round trip.
func (s *Store) Issue(ctx context.Context, now time.Time, recipient string, mac []byte, ttl time.Duration) error {
	ms, ns := nowArgs(now)
	return s.run(ctx, issueScript, []string{s.recipientKey(recipient)}, ms, ns, macKey(mac), millis(ttl)).Err()
}

// Check implements verify.Store: one script, one round trip (on a Cluster
// a verified code that counts in the conversion guard takes one more per
// counter, which live in other slots).
func (s *Store) Check(ctx context.Context, now time.Time, recipient string, mac []byte, c verify.CheckRules) error {
	ms, ns := nowArgs(now)
	keys, roles, conv := s.checkKeys(recipient, c)
	// The operation's id last, for the record's log (see inRecord).
	ans, err := s.run(ctx, checkScript, keys, ms, ns, macKey(mac), c.MaxAttempts, c.Failures.Count,
		millis(c.Failures.Per), millis(bucketOf(c.Conversion)), roles, opID()).Text()
	return s.checkAnswer(ctx, now, ans, err, conv, c)
}

// checkKeys are check.lua's keys and roles for a check of recipient's
// code under c, and the conversion counters a verified code counts in
// (on one server among the keys; on a Cluster counted by converted).
func (s *Store) checkKeys(recipient string, c verify.CheckRules) (keys []string, roles string, conv []sendKey) {
	conv = s.conversionKeys(c.Conversion, c.Country, c.Prefix)
	keys = make([]string, 1, 4)
	keys[0] = s.recipientKey(recipient)
	if !s.oneServer {
		return keys, "", conv
	}
	r := make([]byte, 0, len(conv))
	for _, k := range conv {
		keys, r = append(keys, k.key), append(r, k.role)
	}
	return keys, string(r), conv
}

// checkAnswer is Check's decision from check.lua's answer (or its error).
func (s *Store) checkAnswer(ctx context.Context, now time.Time, ans string, err error, conv []sendKey, c verify.CheckRules) error {
	if err != nil {
		return err
	}
	switch status(ans) {
	case '0':
		if !s.oneServer {
			fctx, cancel := followUp(ctx)
			s.converted(fctx, now, conv, c)
			cancel()
		}
		return nil
	case '1':
		if left, err := strconv.Atoi(strings.TrimPrefix(ans, "1 ")); err == nil {
			return &verify.InvalidCodeError{AttemptsLeft: left}
		}
	case '2':
		return otpkit.ErrMaxAttempts
	case '3':
		return otpkit.ErrNotFound
	case '4':
		return limit(ans, now)
	}
	return fmt.Errorf("redisstore: unexpected answer of the check script: %q", ans)
}

// converted counts a verified code in the conversion counters conv, one
// script a key (a Cluster's other slots). A failure leaves the code
// uncounted, which can only make the guard stricter.
func (s *Store) converted(ctx context.Context, now time.Time, conv []sendKey, c verify.CheckRules) {
	ms, ns := nowArgs(now)
	bucket := millis(bucketOf(c.Conversion))
	for _, k := range conv {
		_ = s.decide(ctx, settleScript, []string{k.key}, ms, ns, "verified", string(k.role), c.MaxAttempts, bucket).Err()
	}
}

// AllowCheck implements verify.Store: one script that reads one key.
func (s *Store) AllowCheck(ctx context.Context, now time.Time, recipient string, failures verify.Rate) error {
	if failures.Count <= 0 {
		return nil
	}
	ms, ns := nowArgs(now)
	ans, err := s.run(ctx, allowCheckScript, []string{s.recipientKey(recipient)},
		ms, ns, failures.Count, millis(failures.Per)).Text()
	return failuresAnswer(ans, err, now)
}

// RecordFailure implements verify.Store.
func (s *Store) RecordFailure(ctx context.Context, now time.Time, recipient string, failures verify.Rate) error {
	if failures.Count <= 0 {
		return nil
	}
	ms, ns := nowArgs(now)
	ans, err := s.run(ctx, failuresScript, []string{s.recipientKey(recipient)},
		ms, ns, failures.Count, millis(failures.Per), opID()).Text()
	return failuresAnswer(ans, err, now)
}

// failuresAnswer is the decision of failures.lua or allowcheck.lua.
func failuresAnswer(ans string, err error, now time.Time) error {
	if err != nil {
		return err
	}
	switch status(ans) {
	case '0':
		return nil
	case '1':
		return limit(ans, now)
	}
	return fmt.Errorf("redisstore: unexpected answer of the failures script: %q", ans)
}

// Unlock implements verify.Store: one script that drops the recipient's
// failures.
func (s *Store) Unlock(ctx context.Context, recipient string) error {
	return s.run(ctx, unlockScript, []string{s.recipientKey(recipient)}).Err()
}

// macBytes is how much of a code's MAC the store keeps: 128 bits, as many
// as a MAC needs to be unguessable (RFC 2104 allows cutting one to half
// its length); the guesses that count are the codes', five of 10^6.
const macBytes = 16

// macKey is what the store keeps of a code's MAC: the first macBytes of
// the Guard's HMAC-SHA256, or of the SHA-256 of a MAC of another length
// (a store used without a Guard), so that two MACs differ in it as they
// differ whole.
func macKey(mac []byte) []byte {
	if len(mac) != sha256.Size {
		sum := sha256.Sum256(mac)
		mac = sum[:]
	}
	return mac[:macBytes]
}

// status is the first byte of a script's answer (0 when there is none).
func status(ans string) byte {
	if ans == "" {
		return 0
	}
	return ans[0]
}

// limit turns a refusal "status rule at_ms at_ns" (when every refusing rule
// allows again) into a *verify.LimitError whose RetryAfter counts from
// now, to the nanosecond (a Lua number could not hold it for long windows).
func limit(ans string, now time.Time) error {
	f := strings.Fields(ans)
	if len(f) == 4 {
		ms, err1 := strconv.ParseInt(f[2], 10, 64)
		ns, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 == nil && err2 == nil {
			at := ms*int64(time.Millisecond) + ns
			return &verify.LimitError{Rule: verify.Rule(f[1]), RetryAfter: time.Duration(at - now.UnixNano())}
		}
	}
	return fmt.Errorf("redisstore: unexpected answer of a script: %q", ans)
}
