package verify

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
)

// memRefs is MemoryStore's RefStore: ref to its record and expiry (Unix ns
// of the Guard's clock), swept like the rest of the store.
type memRefs struct {
	entries   map[string]memRef
	nextSweep int64
}

// memRef is one saved ref.
type memRef struct {
	rec     RefRecord
	expires int64
}

// SaveRef implements RefStore.
func (m *MemoryStore) SaveRef(ctx context.Context, now time.Time, ref string, r RefRecord, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refs.sweep(t)
	if ttl <= 0 {
		delete(m.refs.entries, ref)
		return nil
	}
	m.refs.entries[ref] = memRef{rec: r, expires: t + int64(ttl)}
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
	e, err := m.liveRef(t, ref)
	if err != nil {
		return RefRecord{}, err
	}
	return e.rec, nil
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
	e, err := m.liveRef(t, ref)
	if err != nil {
		return RefRecord{}, err
	}
	if e.rec.Recipient == "" || failures.Count <= 0 {
		return e.rec, nil
	}
	m.sweep(t)
	if r := m.recipients[e.rec.Recipient]; r != nil {
		return e.rec, r.budget(t, failures)
	}
	return e.rec, nil
}

// DeleteRef implements RefStore.
func (m *MemoryStore) DeleteRef(ctx context.Context, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.refs.entries, ref)
	return nil
}

// sweep drops expired refs once a minute of the Guard's clock, makes the map
// on first use, and rebuilds it when it has emptied (Go maps keep their
// buckets after deletes).
func (r *memRefs) sweep(t int64) {
	if r.entries == nil {
		r.entries = map[string]memRef{}
	}
	if t < r.nextSweep {
		return
	}
	r.nextSweep = t + int64(sweepEvery)
	for k, e := range r.entries {
		if e.expires <= t {
			delete(r.entries, k)
		}
	}
	if len(r.entries) == 0 {
		r.entries = map[string]memRef{}
	}
}

// liveRef returns ref's entry unless it is missing or expired at t (Unix
// ns), sweeping the refs first. m.mu must be held.
func (m *MemoryStore) liveRef(t int64, ref string) (memRef, error) {
	m.refs.sweep(t)
	e, ok := m.refs.entries[ref]
	if !ok || t >= e.expires {
		return memRef{}, otpkit.ErrNotFound
	}
	return e, nil
}
