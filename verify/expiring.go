package verify

import "time"

// expiring is a map whose entries expire, for the parts of a MemoryStore
// that are plain key-value state: the Service's refs (on the Guard's clock)
// and the webhook marks (on the real clock). Times are Unix nanoseconds of
// whichever clock the caller uses. The caller holds the store's lock.
//
// Expired entries are dropped once a minute by that clock, and the map is
// copied into a new one once it has shrunk to a quarter of its peak (Go
// maps keep their buckets after deletes), as MemoryStore.sweep does for the
// Guard's own state: memory follows what is live, not the most it ever
// held.
type expiring[V any] struct {
	entries   map[string]*expiringEntry[V]
	nextSweep int64
	peak      int
}

// entry returns k's entry for changing its value in place, if it is
// present and not expired at t.
func (e *expiring[V]) entry(t int64, k string) (*expiringEntry[V], bool) {
	e.sweep(t)
	x, ok := e.entries[k]
	if !ok || x.until <= t {
		return nil, false
	}
	return x, true
}

type expiringEntry[V any] struct {
	v     V
	until int64
}

// get returns k's value if it is present and not expired at t.
func (e *expiring[V]) get(t int64, k string) (V, bool) {
	e.sweep(t)
	x, ok := e.entries[k]
	if !ok || x.until <= t {
		var zero V
		return zero, false
	}
	return x.v, true
}

// put sets k to v until t+ttl; a ttl that is not positive deletes k.
func (e *expiring[V]) put(t int64, k string, v V, ttl time.Duration) {
	e.sweep(t)
	if ttl <= 0 {
		delete(e.entries, k)
		return
	}
	e.entries[k] = &expiringEntry[V]{v: v, until: t + int64(ttl)}
	e.peak = max(e.peak, len(e.entries))
}

// delete drops k.
func (e *expiring[V]) delete(k string) { delete(e.entries, k) }

// sweep makes the map on first use and, once a minute of t's clock, drops
// what expired and rebuilds a map that has shrunk to a quarter of its peak.
func (e *expiring[V]) sweep(t int64) {
	if e.entries == nil {
		e.entries = map[string]*expiringEntry[V]{}
	}
	if t < e.nextSweep {
		return
	}
	e.nextSweep = t + int64(sweepEvery)
	for k, x := range e.entries {
		if x.until <= t {
			delete(e.entries, k)
		}
	}
	if n := len(e.entries); n < e.peak/4 {
		e.entries = copyMap(e.entries)
		e.peak = n
	}
}
