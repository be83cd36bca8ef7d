package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/redis/go-redis/v9"
)

// The webhook handler of the otpkit package can share the store's state, so
// that app instances behind a load balancer handle each LOX24 event once.
var _ otpkit.Deduper = (*Store)(nil)

// Claim marks the webhook event id as being handled for at most lease and
// reports whether the caller got it: false when it is being handled (an
// unexpired claim) or was handled (Done). One SET NX PX.
func (s *Store) Claim(ctx context.Context, id string, lease time.Duration) (bool, error) {
	if lease < time.Millisecond {
		return false, nil
	}
	err := s.rdb.SetArgs(ctx, s.hookKey(id), "c", redis.SetArgs{Mode: "NX", TTL: lease}).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil, err
}

// Done marks the webhook event id as handled and keeps the mark for keep.
func (s *Store) Done(ctx context.Context, id string, keep time.Duration) error {
	if keep < time.Millisecond {
		return s.rdb.Del(ctx, s.hookKey(id)).Err()
	}
	return s.rdb.Set(ctx, s.hookKey(id), "d", keep).Err()
}

// Release drops the claim on the webhook event id so that its next delivery
// is handled again; a done mark stays. One script, one round trip.
func (s *Store) Release(ctx context.Context, id string) error {
	return releaseScript.Run(ctx, s.rdb, []string{s.hookKey(id)}).Err()
}
