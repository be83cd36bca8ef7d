package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// refValue is a saved ref: the record and its expiry by the Guard's clock
// (Unix ns), which LoadRef compares with the now it is given; the key's TTL
// only bounds how long Redis keeps it.
type refValue struct {
	verify.RefRecord
	Expires int64 `json:"x"`
}

// refKey is the record of a Service ref. Each ref is one key (its own
// Cluster slot): every ref operation is one command.
func (s *Store) refKey(ref string) string { return s.prefix + "ref:{" + ref + "}" }

// SaveRef implements verify.RefStore: one SET with a TTL.
func (s *Store) SaveRef(ctx context.Context, now time.Time, ref string, r verify.RefRecord, ttl time.Duration) error {
	if ttl <= 0 {
		return s.DeleteRef(ctx, ref)
	}
	b, err := json.Marshal(refValue{RefRecord: r, Expires: now.UnixNano() + int64(ttl)})
	if err != nil {
		return err
	}
	ms := (ttl + time.Millisecond - 1) / time.Millisecond * time.Millisecond
	return s.rdb.Set(ctx, s.refKey(ref), b, ms).Err()
}

// LoadRef implements verify.RefStore: one GET.
func (s *Store) LoadRef(ctx context.Context, now time.Time, ref string) (verify.RefRecord, error) {
	b, err := s.rdb.Get(ctx, s.refKey(ref)).Bytes()
	if errors.Is(err, redis.Nil) {
		return verify.RefRecord{}, otpkit.ErrNotFound
	}
	if err != nil {
		return verify.RefRecord{}, err
	}
	return decodeRef(now, b)
}

// DeleteRef implements verify.RefStore: one DEL.
func (s *Store) DeleteRef(ctx context.Context, ref string) error {
	return s.rdb.Del(ctx, s.refKey(ref)).Err()
}
