package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// ReserveCheck implements verify.RefStore. On one server (or Sentinel) it
// is one script over the ref and its recipient: one round trip, the only
// one a Service.Check makes before the provider is asked. On a Cluster the
// ref and the recipient are in different slots: the script reserves the
// ref's attempt, then failures.lua the recipient's failure (two round
// trips), and a spent budget gives the attempt back (a third).
func (s *Store) ReserveCheck(ctx context.Context, now time.Time, ref string, c verify.CheckRules) (verify.RefRecord, error) {
	mode := "both"
	if !s.oneServer {
		mode = "ref"
	}
	ms, ns := nowArgs(now)
	res, err := s.decide(ctx, reserveScript, []string{s.refKey(ref)},
		ms, ns, c.MaxAttempts, c.Failures.Count, millis(c.Failures.Per), mode, s.recipientKeyHead()).Slice()
	if err != nil {
		return verify.RefRecord{}, err
	}
	var rec verify.RefRecord
	var answer error
	switch number(res, 0) {
	case 0:
		rec, _, err = parseRef(text(res, 1))
	case 1:
		rec, _, err = parseRef(text(res, 4))
		answer = limit(fmt.Sprintf("1 %s %d %d", text(res, 1), number(res, 2), number(res, 3)), now)
	case 2:
		rec, _, err = parseRef(text(res, 1))
		answer = otpkit.ErrMaxAttempts
	case 3:
		return verify.RefRecord{}, otpkit.ErrNotFound
	default:
		return verify.RefRecord{}, errors.New("redisstore: unexpected answer of the reserve script") // its record is not for an error text
	}
	if err != nil || answer != nil || s.oneServer || rec.Recipient == "" || c.Failures.Count <= 0 {
		if err != nil {
			return verify.RefRecord{}, err
		}
		return rec, answer
	}
	if err := s.RecordFailure(ctx, now, rec.Recipient, c.Failures); err != nil {
		fctx, cancel := followUp(ctx)
		_ = s.settle(fctx, now, ref, verify.RefRecord{}, "undo", c)
		cancel()
		rec.Attempts--
		return rec, err
	}
	return rec, nil
}

// SettleCheck implements verify.RefStore: one script on one server; on a
// Cluster one for the ref and one for the recipient (two round trips).
func (s *Store) SettleCheck(ctx context.Context, reserved time.Time, ref string, r verify.RefRecord, outcome verify.Settlement, c verify.CheckRules) error {
	var o string
	switch outcome {
	case verify.SettleVerified:
		o = "verified"
	case verify.SettleUndo:
		o = "undo"
	case verify.SettleGone:
		o = "gone"
	case verify.SettleLocked:
		o = "locked"
	default:
		return fmt.Errorf("redisstore: unknown settlement %d", outcome)
	}
	return s.settle(ctx, reserved, ref, r, o, c)
}

// settle runs settle.lua for the ref and, unless r has no recipient or the
// budget is off, the recipient, and for a verified code the conversion
// counters of r's country and prefix.
func (s *Store) settle(ctx context.Context, reserved time.Time, ref string, r verify.RefRecord, outcome string, c verify.CheckRules) error {
	ms, ns := nowArgs(reserved)
	bucket := millis(bucketOf(c.Conversion))
	run := func(roles string, keys ...string) error {
		return s.decide(ctx, settleScript, keys, ms, ns, outcome, roles, c.MaxAttempts, bucket).Err()
	}
	roles, keys := []byte{'f'}, make([]string, 1, 5)
	keys[0] = s.refKey(ref)
	if r.Recipient != "" && c.Failures.Count > 0 && outcome != "locked" {
		roles, keys = append(roles, 'r'), append(keys, s.recipientKey(r.Recipient))
	}
	if outcome == "verified" {
		for _, k := range s.conversionKeys(c.Conversion, r.Country, r.Prefix) {
			roles, keys = append(roles, k.role), append(keys, k.key)
		}
	}
	if s.oneServer {
		return run(string(roles), keys...)
	}
	var errs []error
	for i := range keys {
		if err := run(string(roles[i]), keys[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// text is the i-th element of a script's answer as a string ("" if not).
func text(res []any, i int) string {
	if i >= len(res) {
		return ""
	}
	s, _ := res[i].(string)
	return s
}

// number is the i-th element of a script's answer as a number (0 if not).
func number(res []any, i int) int64 {
	if i >= len(res) {
		return 0
	}
	n, _ := res[i].(int64)
	return n
}
