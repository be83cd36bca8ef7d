package verify

import "time"

// expiring is a table whose entries expire at a time of their own, for
// the parts of a MemoryStore that are plain key-value state (the Service's
// refs). Times are Unix nanoseconds of the Guard's clock. The caller holds
// the store's lock; the store's sweeper drops what expired.
type expiring[V any] struct {
	table *table[expiringEntry[V]]
}

type expiringEntry[V any] struct {
	v     V
	until int64
}

// newExpiring returns an empty expiring table.
func newExpiring[V any]() expiring[V] {
	return expiring[V]{table: newTable(func(x *expiringEntry[V]) int64 { return x.until })}
}

// entry returns k's entry for changing its value in place, if it is
// present and not expired at t.
func (e expiring[V]) entry(t int64, k string) (*expiringEntry[V], bool) {
	x := e.table.get(k)
	if x == nil || x.until <= t {
		return nil, false
	}
	return x, true
}

// get returns k's value if it is present and not expired at t.
func (e expiring[V]) get(t int64, k string) (V, bool) {
	if x, ok := e.entry(t, k); ok {
		return x.v, true
	}
	var zero V
	return zero, false
}

// put sets k to v until t+ttl; a ttl that is not positive deletes k.
func (e expiring[V]) put(t int64, k string, v V, ttl time.Duration) {
	if ttl <= 0 {
		e.table.delete(k)
		return
	}
	e.table.put(k, &expiringEntry[V]{v: v, until: t + int64(ttl)})
}

// delete drops k.
func (e expiring[V]) delete(k string) { e.table.delete(k) }
