package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// refKey is the record of a Service ref: a hash whose fields are the
// record's (see refFields) and its expiry by the Guard's clock ('x'), which
// the scripts and LoadRef compare with the now they are given; the key's TTL
// only bounds how long Redis keeps it. Each ref is one key (its own Cluster
// slot).
func (s *Store) refKey(ref string) string { return s.prefix + "ref:{" + ref + "}" }

// refFields is r with its expiry as the hash's field, value pairs; empty
// fields are left out.
func refFields(r verify.RefRecord, expires time.Time) []any {
	f := make([]any, 0, 20)
	f = append(f, "x", timeString(expires), "p", string(r.Provider))
	add := func(k, v string) {
		if v != "" {
			f = append(f, k, v)
		}
	}
	addInt := func(k string, v int64) {
		if v != 0 {
			f = append(f, k, strconv.FormatInt(v, 10))
		}
	}
	add("i", r.ID)
	add("r", r.Recipient)
	add("c", string(r.Channel))
	addInt("l", int64(r.CodeLength))
	addInt("a", int64(r.Attempts))
	add("g", r.Region)
	add("k", r.Country)
	add("q", r.Prefix)
	add("f", r.Fingerprint)
	add("s", r.Ref)
	addInt("e", r.ExpiresAt)
	return f
}

// parseRef reads a record from a hash's field, value pairs (HGETALL, or a
// script's answer after its status).
func parseRef(pairs []any) (verify.RefRecord, error) {
	var r verify.RefRecord
	if len(pairs)%2 != 0 {
		return r, errors.New("redisstore: a ref record that is not one")
	}
	for i := 0; i < len(pairs); i += 2 {
		k, _ := pairs[i].(string)
		v, _ := pairs[i+1].(string)
		var err error
		switch k {
		case "p":
			r.Provider = otpkit.Provider(v)
		case "i":
			r.ID = v
		case "r":
			r.Recipient = v
		case "c":
			r.Channel = otpkit.Channel(v)
		case "l":
			r.CodeLength, err = strconv.Atoi(v)
		case "a":
			r.Attempts, err = strconv.Atoi(v)
		case "g":
			r.Region = v
		case "k":
			r.Country = v
		case "q":
			r.Prefix = v
		case "f":
			r.Fingerprint = v
		case "s":
			r.Ref = v
		case "e":
			r.ExpiresAt, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil {
			return r, fmt.Errorf("redisstore: a ref record with a bad field %q", k)
		}
	}
	return r, nil
}

// live reports whether a hash's fields hold a record that has not expired
// at now by the Guard's clock.
func live(fields map[string]string, now time.Time) bool {
	x, ok := fields["x"]
	if !ok {
		return false
	}
	return parseTime(x) > now.UnixNano()
}

// timeString is t as the scripts store times (lib.lua's tstr): Unix
// milliseconds, and ".nnnnnn" when t is not on a whole millisecond.
func timeString(t time.Time) string {
	n := t.UnixNano()
	m := n / 1e6
	if n%1e6 < 0 {
		m--
	}
	if ns := n - m*1e6; ns != 0 {
		return fmt.Sprintf("%d.%06d", m, ns)
	}
	return strconv.FormatInt(m, 10)
}

// parseTime reads a stored time, "ms" or "ms.nnnnnn", as Unix nanoseconds
// (0 for what is not one).
func parseTime(s string) int64 {
	ms, ns := s, "0"
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			ms, ns = s[:i], s[i+1:]
			break
		}
	}
	m, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(ns, 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return m*int64(time.Millisecond) + n
}

// keyTTL is ttl rounded up to whole milliseconds, as Redis keeps it.
func keyTTL(ttl time.Duration) time.Duration {
	return (ttl + time.Millisecond - 1) / time.Millisecond * time.Millisecond
}

// SaveRef implements verify.RefStore: one script (DEL, HSET, PEXPIRE), one
// round trip.
func (s *Store) SaveRef(ctx context.Context, now time.Time, ref string, r verify.RefRecord, ttl time.Duration) error {
	if ttl <= 0 {
		return s.DeleteRef(ctx, ref)
	}
	args := append([]any{millis(keyTTL(ttl))}, refFields(r, now.Add(ttl))...)
	return s.decide(ctx, saveRefScript, []string{s.refKey(ref)}, args...).Err()
}

// LoadRef implements verify.RefStore: one HGETALL.
func (s *Store) LoadRef(ctx context.Context, now time.Time, ref string) (verify.RefRecord, error) {
	fields, err := s.rdb.HGetAll(ctx, s.refKey(ref)).Result()
	if err != nil {
		return verify.RefRecord{}, err
	}
	if !live(fields, now) {
		return verify.RefRecord{}, otpkit.ErrNotFound
	}
	pairs := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		pairs = append(pairs, k, v)
	}
	return parseRef(pairs)
}

// DeleteRef implements verify.RefStore: one DEL (in a script, so that
// WithReplicas can wait for it).
func (s *Store) DeleteRef(ctx context.Context, ref string) error {
	return s.decide(ctx, deleteScript, []string{s.refKey(ref)}).Err()
}

// ClaimRef implements verify.RefStore: one script, one round trip.
func (s *Store) ClaimRef(ctx context.Context, now time.Time, ref string, r verify.RefRecord, ttl time.Duration) (verify.RefRecord, bool, error) {
	if ttl <= 0 {
		return verify.RefRecord{}, false, errors.New("redisstore: ClaimRef needs a positive ttl")
	}
	ms, ns := nowArgs(now)
	args := append([]any{ms, ns, millis(keyTTL(ttl))}, refFields(r, now.Add(ttl))...)
	res, err := s.decide(ctx, claimRefScript, []string{s.refKey(ref)}, args...).Slice()
	if err != nil {
		return verify.RefRecord{}, false, err
	}
	if number(res, 0) == 1 {
		return r, true, nil
	}
	held, err := parseRef(res[1:])
	return held, false, err
}
