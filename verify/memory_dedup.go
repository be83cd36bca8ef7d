package verify

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
)

// The webhook handler of the otpkit package can share the store's state, so
// that app instances behind a load balancer handle each LOX24 event once.
var _ otpkit.Deduper = (*MemoryStore)(nil)

// Claim marks the webhook event id as being handled for at most lease and
// reports whether the caller got it: false when it is being handled (an
// unexpired claim) or was handled (Done). A lease that is not positive
// claims nothing.
func (m *MemoryStore) Claim(ctx context.Context, id string, lease time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := time.Now().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, held := m.hooks.get(now, id); held || lease <= 0 {
		return false, nil
	}
	m.hooks.put(now, id, false, lease)
	return true, nil
}

// Done marks the webhook event id as handled and keeps the mark for keep.
func (m *MemoryStore) Done(ctx context.Context, id string, keep time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hooks.put(time.Now().UnixNano(), id, true, keep)
	return nil
}

// Release drops the claim on the webhook event id, so that its next delivery
// is handled again. A done mark stays.
func (m *MemoryStore) Release(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if done, ok := m.hooks.get(time.Now().UnixNano(), id); ok && !done {
		m.hooks.delete(id)
	}
	return nil
}
