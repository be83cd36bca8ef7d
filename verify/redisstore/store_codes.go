package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// Issue implements verify.Store: one script, one round trip.
func (s *Store) Issue(ctx context.Context, now time.Time, recipient string, mac []byte, ttl time.Duration) error {
	ms, ns := nowArgs(now)
	return s.decide(ctx, issueScript, []string{s.recipientKey(recipient)}, ms, ns, mac, millis(ttl)).Err()
}

// Check implements verify.Store: one script, one round trip (on a Cluster
// a verified code that counts in the conversion guard takes one more per
// counter, which live in other slots).
func (s *Store) Check(ctx context.Context, now time.Time, recipient string, mac []byte, c verify.CheckRules) error {
	ms, ns := nowArgs(now)
	keys := []string{s.recipientKey(recipient)}
	conv := s.conversionKeys(c.Conversion, c.Country, c.Prefix)
	if s.oneServer {
		for _, k := range conv {
			keys = append(keys, k.key)
		}
	}
	res, err := s.decide(ctx, checkScript, keys,
		ms, ns, mac, c.MaxAttempts, c.Failures.Count, millis(c.Failures.Per), millis(bucketOf(c.Conversion))).Slice()
	if err != nil {
		return err
	}
	switch status(res) {
	case 0:
		if !s.oneServer {
			s.converted(context.WithoutCancel(ctx), now, conv, c)
		}
		return nil
	case 1:
		return &verify.InvalidCodeError{AttemptsLeft: int(number(res, 1))}
	case 2:
		return otpkit.ErrMaxAttempts
	case 3:
		return otpkit.ErrNotFound
	case 4:
		return limit(res, now)
	}
	return fmt.Errorf("redisstore: unexpected answer of the check script: %v", res)
}

// converted counts a verified code in the conversion counters conv, one
// script a key (a Cluster's other slots). A failure leaves the code
// uncounted, which can only make the guard stricter.
func (s *Store) converted(ctx context.Context, now time.Time, conv []sendKey, c verify.CheckRules) {
	ms, ns := nowArgs(now)
	for _, k := range conv {
		_ = s.decide(ctx, settleScript, []string{k.key}, ms, ns, "verified", string(k.role), c.MaxAttempts,
			millis(c.Failures.Per), millis(k.per)).Err()
	}
}

// AllowCheck implements verify.Store.
func (s *Store) AllowCheck(ctx context.Context, now time.Time, recipient string, failures verify.Rate) error {
	return s.failures(ctx, now, recipient, "allow", failures)
}

// RecordFailure implements verify.Store.
func (s *Store) RecordFailure(ctx context.Context, now time.Time, recipient string, failures verify.Rate) error {
	return s.failures(ctx, now, recipient, "record", failures)
}

func (s *Store) failures(ctx context.Context, now time.Time, recipient, mode string, failures verify.Rate) error {
	if failures.Count <= 0 {
		return nil
	}
	ms, ns := nowArgs(now)
	res, err := s.decide(ctx, failuresScript, []string{s.recipientKey(recipient)},
		ms, ns, mode, failures.Count, millis(failures.Per)).Slice()
	if err != nil {
		return err
	}
	if status(res) == 0 {
		return nil
	}
	return limit(res, now)
}

// Unlock implements verify.Store: one HDEL (in a script, so that
// WithReplicas can wait for it).
func (s *Store) Unlock(ctx context.Context, recipient string) error {
	return s.decide(ctx, deleteScript, []string{s.recipientKey(recipient)}, "f").Err()
}

// status is the first number of a script's answer (-1 when there is none).
func status(res []any) int64 {
	if len(res) == 0 {
		return -1
	}
	return number(res, 0)
}

// number is the i-th element of a script's answer as a number (0 if not).
func number(res []any, i int) int64 {
	if i >= len(res) {
		return 0
	}
	n, _ := res[i].(int64)
	return n
}

// limit turns a refusal {_, rule, at_ms, at_ns} (when every refusing rule
// allows again) into a *verify.LimitError whose RetryAfter counts from now,
// to the nanosecond (a Lua number could not hold it for long windows).
func limit(res []any, now time.Time) error {
	if len(res) < 4 {
		return fmt.Errorf("redisstore: unexpected answer of a script: %v", res)
	}
	rule, _ := res[1].(string)
	at := number(res, 2)*int64(time.Millisecond) + number(res, 3)
	return &verify.LimitError{Rule: verify.Rule(rule), RetryAfter: time.Duration(at - now.UnixNano())}
}
