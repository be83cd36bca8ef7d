package redisstore

import (
	"context"
	"errors"
	"fmt"
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
	keys := []sendKey{{role: 'r', key: s.recipientKey(r.Recipient), per: r.RecipientSends.Per}}
	if r.IP != "" && r.IPSends.Count > 0 {
		keys = append(keys, sendKey{role: 'i', key: s.ipKey(r.IP), per: r.IPSends.Per})
	}
	if r.Prefix != "" && r.PrefixSends.Count > 0 {
		keys = append(keys, sendKey{role: 'p', key: s.prefixKey(r.Prefix), per: r.PrefixSends.Per})
	}
	if s.oneServer {
		_, err := s.send(ctx, now, r, "commit", keys...)
		return err
	}
	var committed []sendKey
	var prevLast string
	for i, k := range keys {
		last, err := s.send(ctx, now, r, "commit", k)
		if err == nil {
			committed = append(committed, k)
			if k.role == 'r' {
				prevLast = last
			}
			continue
		}
		s.refund(ctx, now, prevLast, committed)
		var refused *verify.LimitError
		if !errors.As(err, &refused) {
			return err
		}
		for _, rest := range keys[i+1:] {
			_, perr := s.send(ctx, now, r, "peek", rest)
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
	return nil
}

// send runs send.lua over keys (which must be in one slot unless the store
// is on one server). It returns the recipient's previous last send when it
// allowed, a *verify.LimitError when it refused.
func (s *Store) send(ctx context.Context, now time.Time, r verify.SendRules, mode string, keys ...sendKey) (string, error) {
	names := make([]string, len(keys))
	roles := make([]byte, len(keys))
	for i, k := range keys {
		names[i], roles[i] = k.key, k.role
	}
	ms, ns := nowArgs(now)
	res, err := sendScript.Run(ctx, s.rdb, names, ms, ns, mode, string(roles), millis(r.Interval),
		r.RecipientSends.Count, millis(r.RecipientSends.Per), r.Failures.Count, millis(r.Failures.Per),
		r.IPSends.Count, millis(r.IPSends.Per), r.PrefixSends.Count, millis(r.PrefixSends.Per)).Slice()
	if err != nil {
		return "", err
	}
	switch status(res) {
	case 0:
		last, _ := res[1].(string)
		return last, nil
	case 1:
		return "", limit(res, now)
	}
	return "", fmt.Errorf("redisstore: unexpected answer of the send script: %v", res)
}

// refund takes back the sends committed at now. It runs even when ctx is
// done; a refund that fails leaves the send counted, which only makes the
// rules stricter.
func (s *Store) refund(ctx context.Context, now time.Time, prevLast string, committed []sendKey) {
	ctx = context.WithoutCancel(ctx)
	ms, ns := nowArgs(now)
	for _, k := range committed {
		_ = refundScript.Run(ctx, s.rdb, []string{k.key}, ms, ns, string(k.role), prevLast, millis(k.per)).Err()
	}
}
