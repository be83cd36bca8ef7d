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
// 'i' IP address, 'p' number prefix, 'c' country.
type sendKey struct {
	role byte
	key  string
}

// AllowSend implements verify.Store. On one server it is one script over
// every key: one round trip. On a Cluster the keys are in different slots,
// so it commits key by key (recipient, IP, prefix, country), each
// atomically, and refunds the committed ones when a later key refuses (see
// the package documentation); a refusal also asks the keys not yet tried,
// without recording, so that RetryAfter waits for every refusing rule.
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
		fctx, cancel := followUp(ctx)
		s.refund(fctx, now, r, committed...)
		cancel()
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
	return s.refund(ctx, at, r, s.sendKeys(r)...)
}

// sendKeys are the keys a send with rules r counts in: the recipient's
// record, and as the rules ask the IP address's log, the prefix's record
// (its send log, its conversion counter) and the country's counter.
func (s *Store) sendKeys(r verify.SendRules) []sendKey {
	keys := make([]sendKey, 1, 4)
	keys[0] = sendKey{role: 'r', key: s.recipientKey(r.Recipient)}
	if r.IP != "" && r.IPSends.Count > 0 {
		keys = append(keys, sendKey{role: 'i', key: s.ipKey(r.IP)})
	}
	if r.Prefix != "" && (r.PrefixSends.Count > 0 || prefixMin(r.Conversion) > 0) {
		keys = append(keys, sendKey{role: 'p', key: s.prefixKey(r.Prefix)})
	}
	if r.Country != "" && countryMin(r.Conversion) > 0 {
		keys = append(keys, sendKey{role: 'c', key: s.countryKey(r.Country)})
	}
	return keys
}

// send runs send.lua over keys (which must be in one slot unless the store
// is on one server): nil when it allowed, a *verify.LimitError when it
// refused.
func (s *Store) send(ctx context.Context, now time.Time, r verify.SendRules, mode string, keys ...sendKey) error {
	names, roles := keyNames(keys)
	if roles[0] != 'r' {
		// No recipient's record to keep the answer in (a Cluster's IP,
		// prefix or country key): an operation's key (see inRecord).
		names = append(names, s.opKey(names[0]))
	}
	ms, ns := nowArgs(now)
	ans, err := s.run(ctx, sendScript, names, ms, ns, mode, roles, millis(r.Interval),
		r.RecipientSends.Count, millis(r.RecipientSends.Per), r.Failures.Count, millis(r.Failures.Per),
		r.IPSends.Count, millis(r.IPSends.Per), r.PrefixSends.Count, millis(r.PrefixSends.Per),
		millis(bucketOf(r.Conversion)), countryMin(r.Conversion), prefixMin(r.Conversion),
		strconv.FormatFloat(r.Conversion.Floor, 'g', -1, 64), monitorFlag(r.Conversion.Monitor), opID()).Text()
	if err != nil {
		return err
	}
	switch status(ans) {
	case '0':
		return nil
	case '1':
		return limit(ans, now)
	case '2':
		return &verify.MonitoredRefusal{Rule: verify.RuleConversion}
	}
	return fmt.Errorf("redisstore: unexpected answer of the send script: %q", ans)
}

// keyNames are keys' names and their roles.
func keyNames(keys []sendKey) ([]string, string) {
	names := make([]string, len(keys), len(keys)+1) // room for the operation's key
	roles := make([]byte, len(keys))
	for i, k := range keys {
		names[i], roles[i] = k.key, k.role
	}
	return names, string(roles)
}

// monitorFlag is ConversionRules.Monitor as send.lua reads it.
func monitorFlag(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

// refund takes back the send committed at at under rules r from keys: one
// script on one server, one a key on a Cluster.
func (s *Store) refund(ctx context.Context, at time.Time, r verify.SendRules, keys ...sendKey) error {
	if len(keys) == 0 {
		return nil
	}
	ms, ns := nowArgs(at)
	bucket := millis(bucketOf(r.Conversion))
	run := func(keys ...sendKey) error {
		names, roles := keyNames(keys)
		return s.decide(ctx, refundScript, names, ms, ns, roles, bucket).Err()
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
