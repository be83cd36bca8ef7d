package verify

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
)

// The webhook handler of the otpkit package can share the store's state, so
// that app instances behind a load balancer handle each LOX24 event once.
var _ otpkit.Deduper = (*MemoryStore)(nil)

// memHooks is MemoryStore's webhook deduplication: event id to its claim or
// its done mark, each with an expiry by the real clock (webhooks are not
// the Guard's business, so the Guard's clock does not apply).
type memHooks struct {
	entries   map[string]memHook
	nextSweep time.Time
}

// memHook is one event's state.
type memHook struct {
	done  bool
	until time.Time
}

// Claim marks the webhook event id as being handled for at most lease and
// reports whether the caller got it: false when it is being handled (an
// unexpired claim) or was handled (Done). A lease that is not positive
// claims nothing.
func (m *MemoryStore) Claim(ctx context.Context, id string, lease time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hooks.sweep(now)
	if h, ok := m.hooks.entries[id]; ok && now.Before(h.until) {
		return false, nil
	}
	if lease <= 0 {
		return false, nil
	}
	m.hooks.entries[id] = memHook{until: now.Add(lease)}
	return true, nil
}

// Done marks the webhook event id as handled and keeps the mark for keep.
func (m *MemoryStore) Done(ctx context.Context, id string, keep time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hooks.sweep(now)
	if keep <= 0 {
		delete(m.hooks.entries, id)
		return nil
	}
	m.hooks.entries[id] = memHook{done: true, until: now.Add(keep)}
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
	if h, ok := m.hooks.entries[id]; ok && !h.done {
		delete(m.hooks.entries, id)
	}
	return nil
}

// sweep drops expired entries once a minute, and makes the map on first use.
func (h *memHooks) sweep(now time.Time) {
	if h.entries == nil {
		h.entries = map[string]memHook{}
	}
	if now.Before(h.nextSweep) {
		return
	}
	h.nextSweep = now.Add(sweepEvery)
	for k, e := range h.entries {
		if !now.Before(e.until) {
			delete(h.entries, k)
		}
	}
	if len(h.entries) == 0 {
		h.entries = map[string]memHook{}
	}
}
