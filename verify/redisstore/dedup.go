package redisstore

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/memdedup"
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
// PX in a script: like the Guard's decisions, Claim, Done and Release wait
// for the replicas under WithReplicas (a failover then loses no claim and
// no done mark), and have a Cluster's slot map reloaded after a
// connection error.
func (s *Store) Claim(ctx context.Context, id, holder string, lease time.Duration) (bool, error) {
	if lease < time.Millisecond {
		return false, nil
	}
	n, err := s.run(ctx, claimScript, []string{s.eventKey(id)}, claimPrefix+memdedup.Key(holder), millis(lease)).Int64()
	return err == nil && n == 1, err
}

// Done marks the webhook event id as handled and keeps the mark for keep,
// whoever holds its claim.
func (s *Store) Done(ctx context.Context, id string, keep time.Duration) error {
	if keep < time.Millisecond {
		keep = 0
	}
	return s.run(ctx, doneScript, []string{s.eventKey(id)}, millis(keep)).Err()
}

// Release drops the claim on the webhook event id if holder holds it, so
// that its next delivery is handled again; another holder's claim and a
// done mark stay. One script, one round trip: the check and the delete
// are one step, so a claim taken between them cannot be dropped.
func (s *Store) Release(ctx context.Context, id, holder string) error {
	return s.run(ctx, releaseScript, []string{s.eventKey(id)}, claimPrefix+memdedup.Key(holder)).Err()
}

// eventKey is the key of the webhook event id: hookKey of the id, bounded.
func (s *Store) eventKey(id string) string { return s.hookKey(memdedup.Key(id)) }
