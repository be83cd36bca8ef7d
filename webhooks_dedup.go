package otpkit

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// memoryDedupMax bounds the ids the in-memory Deduper keeps. Beyond it the
// entry that would expire first is forgotten early: a flood of made-up ids
// costs a little dedup accuracy, never unbounded memory.
const memoryDedupMax = 1 << 20

// memoryDeduper is the Deduper NewLOX24WebhookHandler uses by default: one
// process, safe for concurrent use. Every entry expires (a claim after its
// lease, a handled id after its keep); expired entries are dropped from the
// front of a heap ordered by expiry on every call, so memory follows the
// live entries and pruning costs O(log n) per entry, never a scan.
type memoryDeduper struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]dedupEntry
	peak    int // the most entries held since entries was made
	expiry  dedupHeap
}

type dedupEntry struct {
	until time.Time
	done  bool
}

func newMemoryDeduper(now func() time.Time) *memoryDeduper {
	return &memoryDeduper{now: now, entries: map[string]dedupEntry{}}
}

// Claim implements Deduper.
func (m *memoryDeduper) Claim(_ context.Context, id string, lease time.Duration) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pruneLocked(now)
	if e, ok := m.entries[id]; ok && e.until.After(now) {
		return false, nil
	}
	m.setLocked(id, dedupEntry{until: now.Add(lease)})
	return true, nil
}

// Done implements Deduper.
func (m *memoryDeduper) Done(_ context.Context, id string, keep time.Duration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pruneLocked(now)
	m.setLocked(id, dedupEntry{until: now.Add(keep), done: true})
	return nil
}

// Release implements Deduper. A handled id stays handled.
func (m *memoryDeduper) Release(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[id]; ok && !e.done {
		delete(m.entries, id) // its heap item is dropped when it expires
	}
	return nil
}

func (m *memoryDeduper) setLocked(id string, e dedupEntry) {
	m.entries[id] = e
	m.peak = max(m.peak, len(m.entries))
	heap.Push(&m.expiry, dedupItem{id: id, until: e.until})
	for len(m.entries) > memoryDedupMax && m.expiry.Len() > 0 {
		m.dropLocked(heap.Pop(&m.expiry).(dedupItem))
	}
}

// pruneLocked drops every entry that expired by now. A heap item whose id
// was released or set again later is stale and only popped.
func (m *memoryDeduper) pruneLocked(now time.Time) {
	for m.expiry.Len() > 0 && !m.expiry[0].until.After(now) {
		m.dropLocked(heap.Pop(&m.expiry).(dedupItem))
	}
	// Give back what a burst grew: Go maps never shrink by themselves.
	if m.expiry.Len() == 0 && cap(m.expiry) > 1024 {
		m.expiry = nil
	}
	if len(m.entries) == 0 && m.peak > 1024 {
		m.entries, m.peak = map[string]dedupEntry{}, 0
	}
}

func (m *memoryDeduper) dropLocked(it dedupItem) {
	if e, ok := m.entries[it.id]; ok && e.until.Equal(it.until) {
		delete(m.entries, it.id)
	}
}

// len reports how many ids are held, for tests.
func (m *memoryDeduper) len() (entries, items int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries), m.expiry.Len()
}

type dedupItem struct {
	id    string
	until time.Time
}

type dedupHeap []dedupItem

func (h dedupHeap) Len() int           { return len(h) }
func (h dedupHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h dedupHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dedupHeap) Push(x any)        { *h = append(*h, x.(dedupItem)) }
func (h *dedupHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = dedupItem{}
	*h = old[:len(old)-1]
	return it
}
