package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/memdedup"
	"github.com/redis/go-redis/v9"
)

// The webhook handler of the otpkit package can share the store's state, so
// that app instances behind a load balancer handle each LOX24 event once.
//
// An event's key is hook:{id}, with an id longer than 64 bytes replaced by
// its SHA-256 (LOX24's ids are UUIDs), so no caller can make a key or a
// value big. Its value is "c:" and the claim's holder while it is claimed
// (a holder longer than 64 bytes also as its SHA-256), "d" once handled.
var _ otpkit.Deduper = (*Store)(nil)

// claimPrefix starts the value of a claimed event's key; the holder follows.
const claimPrefix = "c:"

// Claim marks the webhook event id as being handled by holder for at most
// lease and reports whether holder got it: false when it is being handled
// (an unexpired claim, whoever holds it) or was handled (Done). One SET NX
// PX.
func (s *Store) Claim(ctx context.Context, id, holder string, lease time.Duration) (bool, error) {
	if lease < time.Millisecond {
		return false, nil
	}
	err := s.rdb.SetArgs(ctx, s.eventKey(id), claimPrefix+memdedup.Key(holder), redis.SetArgs{Mode: "NX", TTL: lease}).Err()
	s.afterError(ctx, err) // a Cluster's slot map, as after a decision
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil, err
}

// Done marks the webhook event id as handled and keeps the mark for keep,
// whoever holds its claim.
func (s *Store) Done(ctx context.Context, id string, keep time.Duration) error {
	var err error
	if keep < time.Millisecond {
		err = s.rdb.Del(ctx, s.eventKey(id)).Err()
	} else {
		err = s.rdb.Set(ctx, s.eventKey(id), "d", keep).Err()
	}
	s.afterError(ctx, err)
	return err
}

// Release drops the claim on the webhook event id if holder holds it, so
// that its next delivery is handled again; another holder's claim and a
// done mark stay. One script, one round trip: the check and the delete
// are one step, so a claim taken between them cannot be dropped.
func (s *Store) Release(ctx context.Context, id, holder string) error {
	err := releaseScript.Run(ctx, s.rdb, []string{s.eventKey(id)}, claimPrefix+memdedup.Key(holder)).Err()
	s.afterError(ctx, err)
	return err
}

// eventKey is the key of the webhook event id: hookKey of the id, bounded.
func (s *Store) eventKey(id string) string { return s.hookKey(memdedup.Key(id)) }
