// Package memdedup is the in-memory record of handled LOX24 webhook events:
// the default Deduper of otpkit's webhook handler, and the one
// verify.MemoryStore offers. One implementation, so that both answer alike.
package memdedup

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// MaxIDBytes is the longest event id (or claim holder) kept as it is; Key
// hashes a longer one. LOX24's event ids are UUIDs (36 bytes).
const MaxIDBytes = 64

// Key is what a Deduper stores for an event id or a claim holder: s itself
// up to MaxIDBytes, else "sha256:" and its SHA-256 in hex (71 bytes, so
// never equal to a kept id). Whatever a caller passes, a record stays
// small: a flood of forged events with huge ids costs a bounded amount
// of memory (or of Redis) per id.
func Key(s string) string {
	if len(s) <= MaxIDBytes {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Max bounds the ids a Deduper keeps. Beyond it the entry that would
// expire first is forgotten early: a flood of made-up ids costs a little
// dedup accuracy, never unbounded memory.
const Max = 1 << 20

// Deduper records webhook event ids in one process's memory (otpkit's
// Deduper interface), safe for concurrent use. Ids and holders are kept as
// Key makes them. Every entry expires (a claim after its lease, a handled
// id after its keep); expired entries are dropped from the front of a heap
// ordered by expiry, a bounded number on every call, so memory follows the
// live entries, pruning costs O(log n) per entry, never a scan, and no call
// waits for more than pruneBatch of them.
type Deduper struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]dedupEntry
	peak    int // the most entries held since entries was made
	expiry  dedupHeap
}

type dedupEntry struct {
	until  time.Time
	holder string // Key of the claim's holder; "" once done
	done   bool
}

// New returns an empty Deduper that reads the time from now.
func New(now func() time.Time) *Deduper {
	return &Deduper{now: now, entries: map[string]dedupEntry{}}
}

// Claim marks id as being handled by holder for at most lease and reports
// whether holder got it: false while it is claimed (by anyone) or once it
// is done. A lease that is not positive claims nothing.
func (m *Deduper) Claim(_ context.Context, id, holder string, lease time.Duration) (bool, error) {
	if lease <= 0 {
		return false, nil
	}
	key, holder := Key(id), Key(holder)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pruneLocked(now)
	if e, ok := m.entries[key]; ok && e.until.After(now) {
		return false, nil
	}
	m.setLocked(key, dedupEntry{until: now.Add(lease), holder: holder})
	return true, nil
}

// Done marks id as handled and keeps the mark for keep, whoever holds its
// claim: the event was handled, by this caller.
func (m *Deduper) Done(_ context.Context, id string, keep time.Duration) error {
	key := Key(id)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pruneLocked(now)
	m.setLocked(key, dedupEntry{until: now.Add(keep), done: true})
	return nil
}

// Release drops the claim on id if holder holds it, so that its next
// delivery is handled again. A claim that expired and was taken by another
// holder stays theirs; a handled id stays handled.
func (m *Deduper) Release(_ context.Context, id, holder string) error {
	key, holder := Key(id), Key(holder)
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok && !e.done && e.holder == holder {
		delete(m.entries, key) // its heap item is dropped when it expires
	}
	return nil
}

func (m *Deduper) setLocked(id string, e dedupEntry) {
	m.entries[id] = e
	m.peak = max(m.peak, len(m.entries))
	heap.Push(&m.expiry, dedupItem{id: id, until: e.until})
	for len(m.entries) > Max && m.expiry.Len() > 0 {
		m.dropLocked(heap.Pop(&m.expiry).(dedupItem))
	}
}

// pruneBatch is the most expired heap items one call drops: when a million
// ids expire together, each call does a bounded share of the work instead
// of one call waiting for all of it (an expired entry still in the map
// answers as an absent one: Claim compares its time).
const pruneBatch = 1024

// pruneLocked drops up to pruneBatch entries that expired by now. A heap
// item whose id was released or set again later is stale and only popped.
func (m *Deduper) pruneLocked(now time.Time) {
	for n := 0; n < pruneBatch && m.expiry.Len() > 0 && !m.expiry[0].until.After(now); n++ {
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

func (m *Deduper) dropLocked(it dedupItem) {
	if e, ok := m.entries[it.id]; ok && e.until.Equal(it.until) {
		delete(m.entries, it.id)
	}
}

// Len reports how many ids are held, and how many expiry items track them.
func (m *Deduper) Len() (entries, items int) {
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
