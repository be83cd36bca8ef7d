package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/otpkit/otpkit/verify"
)

// sendKey is one key of a send with its role in send.lua: 'r' recipient,
// 'i' IP address, 'p' number prefix.
type sendKey struct {
	role byte
	key  string
	per  time.Duration // the window of its count, for a refund
}

// AllowSend implements verify.Store. On one server it is one script over
// every key: one round trip. On a Cluster the keys are in different slots,
// so it commits key by key (recipient, IP, prefix), each atomically, and
// refunds the committed ones when a later key refuses (see the package
// documentation); a refusal also asks the keys not yet tried, without
// recording, so that RetryAfter waits for every refusing rule.
func (s *Store) AllowSend(ctx context.Context, now time.Time, r verify.SendRules) error {
	keys := s.sendKeys(r)
	if s.oneServer {
		return s.send(ctx, now, r, "commit", keys...)
	}
	var committed []sendKey
	var monitored error
	for i, k := range keys {
		err := s.send(ctx, now, r, "commit", k)
		var mr *verify.MonitoredRefusal
		if errors.As(err, &mr) {
			monitored, err = err, nil
		}
		if err == nil {
			committed = append(committed, k)
			continue
		}
		s.refund(context.WithoutCancel(ctx), now, committed...)
		var refused *verify.LimitError
		if !errors.As(err, &refused) {
			return err
		}
		for _, rest := range keys[i+1:] {
			perr := s.send(ctx, now, r, "peek", rest)
			var more *verify.LimitError
			if errors.As(perr, &more) && more.RetryAfter > refused.RetryAfter {
				refused.RetryAfter = more.RetryAfter
				if refused.Rule != verify.RuleFailures {
					refused.Rule = more.Rule
				}
			}
		}
		return refused
	}
	return monitored
}

// RefundSend implements verify.Store: one script over every key on one
// server; on a Cluster one a key, each atomic (a refund half done counts
// the send in fewer windows, never in more).
func (s *Store) RefundSend(ctx context.Context, at time.Time, r verify.SendRules) error {
	return s.refund(ctx, at, s.sendKeys(r)...)
}

// sendKeys are the keys a send with rules r counts in.
func (s *Store) sendKeys(r verify.SendRules) []sendKey {
	keys := []sendKey{{role: 'r', key: s.recipientKey(r.Recipient), per: r.RecipientSends.Per}}
	if r.IP != "" && r.IPSends.Count > 0 {
		keys = append(keys, sendKey{role: 'i', key: s.ipKey(r.IP), per: r.IPSends.Per})
	}
	if r.Prefix != "" && r.PrefixSends.Count > 0 {
		keys = append(keys, sendKey{role: 'p', key: s.prefixKey(r.Prefix), per: r.PrefixSends.Per})
	}
	return append(keys, s.conversionKeys(r.Conversion, r.Country, r.Prefix)...)
}

// send runs send.lua over keys (which must be in one slot unless the store
// is on one server): nil when it allowed, a *verify.LimitError when it
// refused.
func (s *Store) send(ctx context.Context, now time.Time, r verify.SendRules, mode string, keys ...sendKey) error {
	names := make([]string, len(keys))
	roles := make([]byte, len(keys))
	for i, k := range keys {
		names[i], roles[i] = k.key, k.role
	}
	ms, ns := nowArgs(now)
	res, err := s.decide(ctx, sendScript, names, ms, ns, mode, string(roles), millis(r.Interval),
		r.RecipientSends.Count, millis(r.RecipientSends.Per), r.Failures.Count, millis(r.Failures.Per),
		r.IPSends.Count, millis(r.IPSends.Per), r.PrefixSends.Count, millis(r.PrefixSends.Per),
		millis(bucketOf(r.Conversion)), r.Conversion.MinCountrySends, r.Conversion.MinPrefixSends,
		strconv.FormatFloat(r.Conversion.Floor, 'g', -1, 64), monitorFlag(r.Conversion.Monitor)).Slice()
	if err != nil {
		return err
	}
	switch status(res) {
	case 0:
		return nil
	case 1:
		return limit(res, now)
	case 2:
		return &verify.MonitoredRefusal{Rule: verify.RuleConversion}
	}
	return fmt.Errorf("redisstore: unexpected answer of the send script: %v", res)
}

// monitorFlag is ConversionRules.Monitor as send.lua reads it.
func monitorFlag(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

// refund takes back the send committed at at from keys: one script on one
// server, one a key on a Cluster.
func (s *Store) refund(ctx context.Context, at time.Time, keys ...sendKey) error {
	ms, ns := nowArgs(at)
	run := func(keys ...sendKey) error {
		names := make([]string, len(keys))
		roles := make([]byte, len(keys))
		args := []any{ms, ns, ""}
		for i, k := range keys {
			names[i], roles[i] = k.key, k.role
			args = append(args, millis(k.per))
		}
		args[2] = string(roles)
		return s.decide(ctx, refundScript, names, args...).Err()
	}
	if len(keys) == 0 {
		return nil
	}
	if s.oneServer {
		return run(keys...)
	}
	var errs []error
	for _, k := range keys {
		if err := run(k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
