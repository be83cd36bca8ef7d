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
	m.sweeper.run(t)
	m.refs.put(t, ref, r, ttl)
	return nil
}

// LoadRef implements RefStore.
func (m *MemoryStore) LoadRef(ctx context.Context, now time.Time, ref string) (RefRecord, error) {
	if err := ctx.Err(); err != nil {
		return RefRecord{}, err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	rec, ok := m.refs.get(t, ref)
	if !ok {
		return RefRecord{}, otpkit.ErrNotFound
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

// ClaimRef implements RefStore.
func (m *MemoryStore) ClaimRef(ctx context.Context, now time.Time, ref string, r RefRecord, ttl time.Duration) (RefRecord, bool, error) {
	if err := ctx.Err(); err != nil {
		return RefRecord{}, false, err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	if held, ok := m.refs.get(t, ref); ok {
		return held, false, nil
	}
	m.refs.put(t, ref, r, ttl)
	return r, true, nil
}

// ReserveCheck implements RefStore: the ref and its recipient's budget
// under one lock.
func (m *MemoryStore) ReserveCheck(ctx context.Context, now time.Time, ref string, c CheckRules) (RefRecord, error) {
	if err := ctx.Err(); err != nil {
		return RefRecord{}, err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	e, ok := m.refs.entry(t, ref)
	if !ok {
		return RefRecord{}, otpkit.ErrNotFound
	}
	var r *memRecipient
	if e.v.Recipient != "" {
		r = m.recipients.get(e.v.Recipient)
		if r != nil {
			if err := r.budget(t, c.Failures); err != nil {
				return e.v, err
			}
		}
	}
	if e.v.Attempts >= c.MaxAttempts {
		return e.v, otpkit.ErrMaxAttempts
	}
	e.v.Attempts++
	if r == nil && e.v.Recipient != "" && c.Failures.Count > 0 {
		r = m.recipients.getOrMake(e.v.Recipient)
	}
	if r != nil {
		r.fail(t, c.Failures)
	}
	return e.v, nil
}

// SettleCheck implements RefStore.
func (m *MemoryStore) SettleCheck(ctx context.Context, reserved time.Time, ref string, rec RefRecord, outcome Settlement, c CheckRules) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := reserved.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	if outcome != SettleLocked && rec.Recipient != "" {
		if r := m.recipients.get(rec.Recipient); r != nil {
			r.failures = r.failures.remove(t)
		}
	}
	switch outcome {
	case SettleUndo:
		if e := m.refs.table.get(ref); e != nil && e.v.Attempts > 0 {
			e.v.Attempts--
		}
	case SettleLocked:
		if e := m.refs.table.get(ref); e != nil {
			e.v.Attempts = max(e.v.Attempts, c.MaxAttempts)
		}
	case SettleVerified:
		m.refs.delete(ref)
		m.converted(t, rec.Country, rec.Prefix, c.Conversion)
	case SettleGone:
		m.refs.delete(ref)
	}
	return nil
}
