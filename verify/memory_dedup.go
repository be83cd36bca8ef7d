package verify

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
)

// The webhook handler of the otpkit package can share the store's state, so
// that handlers of one process handle each LOX24 event once. The records
// use the real clock: webhooks are not the Guard's business. They are the
// same in-memory records otpkit's handler keeps by default: an id or
// holder longer than 64 bytes is kept as its SHA-256.
var _ otpkit.Deduper = (*MemoryStore)(nil)

// Claim marks the webhook event id as being handled by holder for at most
// lease and reports whether holder got it: false when it is being handled
// (an unexpired claim, whoever holds it) or was handled (Done).
func (m *MemoryStore) Claim(ctx context.Context, id, holder string, lease time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return m.hooks.Claim(ctx, id, holder, lease)
}

// Done marks the webhook event id as handled and keeps the mark for keep,
// whoever holds its claim.
func (m *MemoryStore) Done(ctx context.Context, id string, keep time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.hooks.Done(ctx, id, keep)
}

// Release drops the claim on the webhook event id if holder holds it, so
// that its next delivery is handled again. Another holder's claim and a
// done mark stay.
func (m *MemoryStore) Release(ctx context.Context, id, holder string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.hooks.Release(ctx, id, holder)
}
