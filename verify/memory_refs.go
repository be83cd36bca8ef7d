package verify

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
)

// SaveRef implements RefStore.
func (m *MemoryStore) SaveRef(ctx context.Context, now time.Time, ref string, r RefRecord, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refs.put(t, ref, r, ttl)
	return nil
}

// LoadRef implements RefStore.
func (m *MemoryStore) LoadRef(ctx context.Context, now time.Time, ref string) (RefRecord, error) {
	return m.LoadRefAllowCheck(ctx, now, ref, Rate{}) // a zero Rate checks no budget
}

// LoadRefAllowCheck implements RefBudgetLoader: LoadRef and AllowCheck
// under one lock.
func (m *MemoryStore) LoadRefAllowCheck(ctx context.Context, now time.Time, ref string, failures Rate) (RefRecord, error) {
	if err := ctx.Err(); err != nil {
		return RefRecord{}, err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.refs.get(t, ref)
	if !ok {
		return RefRecord{}, otpkit.ErrNotFound
	}
	if rec.Recipient == "" || failures.Count <= 0 {
		return rec, nil
	}
	m.sweep(t)
	if r := m.recipients[rec.Recipient]; r != nil {
		return rec, r.budget(t, failures)
	}
	return rec, nil
}

// DeleteRef implements RefStore.
func (m *MemoryStore) DeleteRef(ctx context.Context, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refs.delete(ref)
	return nil
}
