package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// refKey is the record of a Service ref: one string (see refValue), whose
// expiry by the Guard's clock the scripts and LoadRef compare with the now
// they are given; the key's TTL only bounds how long Redis keeps it. Each
// ref is one key (its own Cluster slot). The name differs from that of
// earlier releases, whose refs were hashes.
func (s *Store) refKey(ref string) string { return s.prefix + "rf:{" + ref + "}" }

// A ref's value: its expiry ('>i6I3': Unix milliseconds and the
// nanoseconds within them, as the scripts store times), its attempts
// ('>I4', at refAttempts, so that a script changes them in place with
// SETRANGE), its recipient's pseudonym ('>I2' length, then the bytes: the
// scripts read it to name the recipient's record), then the other fields,
// each a letter, a uvarint length and the bytes (empty fields left out).
// The scripts read the head alone; the rest is Go's.
const (
	refAttempts = 9
	refHead     = refAttempts + 4 + 2
)

// refValue is r, kept until expires, as a ref's value.
func refValue(r verify.RefRecord, expires time.Time) ([]byte, error) {
	if len(r.Recipient) > math.MaxUint16 || r.Attempts < 0 || uint64(r.Attempts) > math.MaxUint32 {
		return nil, errors.New("redisstore: a ref record too big to keep")
	}
	ms, ns := splitTime(expires)
	v := make([]byte, 0, 128)
	v = append(v, byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms),
		byte(ns>>16), byte(ns>>8), byte(ns))
	v = binary.BigEndian.AppendUint32(v, uint32(r.Attempts))
	v = binary.BigEndian.AppendUint16(v, uint16(len(r.Recipient)))
	v = append(v, r.Recipient...)
	add := func(k byte, s string) {
		if s != "" {
			v = append(v, k)
			v = binary.AppendUvarint(v, uint64(len(s)))
			v = append(v, s...)
		}
	}
	addInt := func(k byte, n int64) {
		if n != 0 {
			add(k, strconv.FormatInt(n, 10))
		}
	}
	add('p', string(r.Provider))
	add('i', r.ID)
	add('c', string(r.Channel))
	addInt('l', int64(r.CodeLength))
	add('g', r.Region)
	add('k', r.Country)
	add('q', r.Prefix)
	add('f', r.Fingerprint)
	add('s', r.Ref)
	addInt('e', r.ExpiresAt)
	return v, nil
}

// parseRef reads a ref's value: the record and its expiry (Unix
// nanoseconds by the Guard's clock).
func parseRef(v string) (verify.RefRecord, int64, error) {
	var r verify.RefRecord
	bad := errors.New("redisstore: a ref record that is not one")
	if len(v) < refHead {
		return r, 0, bad
	}
	ms := int64(v[0])<<40 | int64(v[1])<<32 | int64(v[2])<<24 | int64(v[3])<<16 | int64(v[4])<<8 | int64(v[5])
	ms = ms << 16 >> 16 // the sign of 48 bits
	ns := int64(v[6])<<16 | int64(v[7])<<8 | int64(v[8])
	r.Attempts = int(binary.BigEndian.Uint32([]byte(v[refAttempts : refAttempts+4])))
	n := int(binary.BigEndian.Uint16([]byte(v[refAttempts+4 : refHead])))
	if len(v) < refHead+n {
		return r, 0, bad
	}
	r.Recipient = v[refHead : refHead+n]
	for rest := v[refHead+n:]; rest != ""; {
		k := rest[0]
		size, w := binary.Uvarint([]byte(rest[1:min(len(rest), 11)]))
		if w <= 0 || uint64(len(rest)-1-w) < size {
			return r, 0, bad
		}
		s := rest[1+w : 1+w+int(size)]
		rest = rest[1+w+int(size):]
		var err error
		switch k {
		case 'p':
			r.Provider = otpkit.Provider(s)
		case 'i':
			r.ID = s
		case 'c':
			r.Channel = otpkit.Channel(s)
		case 'l':
			r.CodeLength, err = strconv.Atoi(s)
		case 'g':
			r.Region = s
		case 'k':
			r.Country = s
		case 'q':
			r.Prefix = s
		case 'f':
			r.Fingerprint = s
		case 's':
			r.Ref = s
		case 'e':
			r.ExpiresAt, err = strconv.ParseInt(s, 10, 64)
		}
		if err != nil {
			return r, 0, fmt.Errorf("redisstore: a ref record with a bad field %q", k)
		}
	}
	return r, ms*int64(time.Millisecond) + ns, nil
}

// splitTime is t as Unix milliseconds (floor) and the nanoseconds within
// them.
func splitTime(t time.Time) (ms, ns int64) {
	n := t.UnixNano()
	ms = n / 1e6
	if n%1e6 < 0 {
		ms--
	}
	return ms, n - ms*1e6
}

// keyTTL is ttl rounded up to whole milliseconds, as Redis keeps it.
func keyTTL(ttl time.Duration) time.Duration {
	return (ttl + time.Millisecond - 1) / time.Millisecond * time.Millisecond
}

// SaveRef implements verify.RefStore: one SET with its TTL (in a once
// script, so that a retry cannot undo what a reservation wrote in between,
// and so that WithReplicas can wait for it), one round trip.
func (s *Store) SaveRef(ctx context.Context, now time.Time, ref string, r verify.RefRecord, ttl time.Duration) error {
	if ttl <= 0 {
		return s.DeleteRef(ctx, ref)
	}
	v, err := refValue(r, now.Add(ttl))
	if err != nil {
		return err
	}
	return s.decide(ctx, saveRefScript, []string{s.refKey(ref)}, v, millis(keyTTL(ttl))).Err()
}

// LoadRef implements verify.RefStore: one GET.
func (s *Store) LoadRef(ctx context.Context, now time.Time, ref string) (verify.RefRecord, error) {
	v, err := s.rdb.Get(ctx, s.refKey(ref)).Result()
	if errors.Is(err, redis.Nil) {
		return verify.RefRecord{}, otpkit.ErrNotFound
	}
	if err != nil {
		return verify.RefRecord{}, err
	}
	r, expires, err := parseRef(v)
	if err != nil {
		return verify.RefRecord{}, err
	}
	if expires <= now.UnixNano() {
		return verify.RefRecord{}, otpkit.ErrNotFound
	}
	return r, nil
}

// DeleteRef implements verify.RefStore: one DEL (in a script, so that
// WithReplicas can wait for it).
func (s *Store) DeleteRef(ctx context.Context, ref string) error {
	return s.run(ctx, deleteScript, []string{s.refKey(ref)}).Err() // a DEL twice is one: no operation id
}

// ClaimRef implements verify.RefStore: one script, one round trip.
func (s *Store) ClaimRef(ctx context.Context, now time.Time, ref string, r verify.RefRecord, ttl time.Duration) (verify.RefRecord, bool, error) {
	if ttl <= 0 {
		return verify.RefRecord{}, false, errors.New("redisstore: ClaimRef needs a positive ttl")
	}
	v, err := refValue(r, now.Add(ttl))
	if err != nil {
		return verify.RefRecord{}, false, err
	}
	ms, ns := nowArgs(now)
	ans, err := s.decide(ctx, claimRefScript, []string{s.refKey(ref)}, ms, ns, v, millis(keyTTL(ttl))).Text()
	if err != nil {
		return verify.RefRecord{}, false, err
	}
	switch status(ans) {
	case '1':
		return r, true, nil
	case '0':
		held, _, err := parseRef(ans[1:])
		return held, false, err
	}
	return verify.RefRecord{}, false, errors.New("redisstore: unexpected answer of the claim script") // its record is not for an error text
}
