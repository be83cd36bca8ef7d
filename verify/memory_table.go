package verify

import (
	"hash/maphash"
	"time"
)

// A MemoryStore drops what no rule needs any more without ever scanning
// all of its state in one call: each of its tables (recipients, IP
// addresses, prefixes, conversion counts, refs) is split by key hash into
// memShards small maps, and a sweeper looks at one shard after another, a
// few per call, so that every shard is looked at about once a minute of the
// Guard's clock. A call does at most about sweepBudget entries of that
// work, plus what is left of the shard it is in (about 1,000 entries at
// 1M recipients: a fraction of a millisecond). A shard that has shrunk to
// a quarter of its peak is rebuilt (Go maps keep their buckets after
// deletes), at the cost of its own size, so memory follows what is live.
//
// Expiry is bookkeeping only: every rule compares the times it keeps with
// the time it is given, so an entry that outlives its time by a pass
// answers as an absent one would.

// memShards is how many small maps each table is split into. A power of
// two: the shards' maps then hold as many buckets in all as one big map
// would, so sharding costs no memory at scale.
const memShards = 1024

// sweepEvery is how long (by the Guard's clock) one pass of the sweeper
// over every shard takes; an entry goes at most about two of them after no
// rule needs it, given calls to take the time from.
const sweepEvery = time.Minute

// sweepBudget is about how many entries one call looks at when the sweeper
// is behind (after the clock moved on by more than a pass, or when most
// entries are due at once).
const sweepBudget = 1024

// table is one kind of a MemoryStore's state: keys to pointers, in
// memShards maps by key hash. The caller holds the store's lock.
type table[V any] struct {
	seed   maphash.Seed
	keep   func(*V) int64            // Unix ns of the Guard's clock after which v is not needed
	shards *[memShards]tableShard[V] // nil while no shard has a map: an empty store stays small
	maps   int                       // how many shards have a map
}

type tableShard[V any] struct {
	m    map[string]*V // nil until its first entry, and again once the sweeper finds it empty
	peak int           // the most entries m held since it was made
}

// newTable returns an empty table whose entries are needed until keep.
func newTable[V any](keep func(*V) int64) *table[V] {
	return &table[V]{seed: maphash.MakeSeed(), keep: keep}
}

// shard returns k's shard; nil while the table is empty.
func (tb *table[V]) shard(k string) *tableShard[V] {
	if tb.shards == nil {
		return nil
	}
	return &tb.shards[maphash.String(tb.seed, k)%memShards]
}

// get returns k's entry, or nil.
func (tb *table[V]) get(k string) *V {
	if sh := tb.shard(k); sh != nil {
		return sh.m[k]
	}
	return nil
}

// getOrMake returns k's entry, made (zero) when it has none.
func (tb *table[V]) getOrMake(k string) *V {
	sh := tb.shardToSet(k)
	v := sh.m[k]
	if v == nil {
		v = new(V)
		tb.set(sh, k, v)
	}
	return v
}

// put sets k's entry to v.
func (tb *table[V]) put(k string, v *V) { tb.set(tb.shardToSet(k), k, v) }

// shardToSet returns k's shard, making the shards when there are none.
func (tb *table[V]) shardToSet(k string) *tableShard[V] {
	if tb.shards == nil {
		tb.shards = new([memShards]tableShard[V])
	}
	return tb.shard(k)
}

// set sets k's entry in its shard sh to v.
func (tb *table[V]) set(sh *tableShard[V], k string, v *V) {
	if sh.m == nil {
		sh.m = map[string]*V{}
		tb.maps++
	}
	sh.m[k] = v
	sh.peak = max(sh.peak, len(sh.m))
}

// delete drops k's entry.
func (tb *table[V]) delete(k string) {
	if sh := tb.shard(k); sh != nil {
		delete(sh.m, k)
	}
}

// sweepShard drops shard i's entries that are not needed at t, rebuilds
// its map when it has shrunk to a quarter of its peak (drops it once
// empty, and the shards with the last map), and returns how many entries
// it looked at.
func (tb *table[V]) sweepShard(i int, t int64) int {
	if tb.shards == nil || tb.shards[i].m == nil {
		return 0
	}
	sh := &tb.shards[i]
	n := len(sh.m)
	for k, v := range sh.m {
		if tb.keep(v) <= t {
			delete(sh.m, k)
		}
	}
	switch live := len(sh.m); {
	case live == 0:
		sh.m, sh.peak = nil, 0
		if tb.maps--; tb.maps == 0 {
			tb.shards = nil
		}
	case live < sh.peak/4:
		m := make(map[string]*V, live)
		for k, v := range sh.m {
			m[k] = v
		}
		sh.m, sh.peak = m, live
	}
	return n
}

// sweepable is a table, for the sweeper.
type sweepable interface {
	sweepShard(i int, t int64) int
}

// sweeper walks the shards of its tables, one pass per sweepEvery of the
// Guard's clock: by a time x into the pass, the shards it has looked at
// are the share x/sweepEvery of them, as far as sweepBudget allows a call.
// So on a clock that moves steadily an entry goes at most two passes after
// its time, and after a jump of the clock every shard is looked at again
// within about twice the store's entries over sweepBudget calls.
type sweeper struct {
	tables    []sweepable
	started   bool
	passStart int64 // Unix ns of the Guard's clock
	next      int   // the next step: table next/memShards, its shard next%memShards
}

// run does the sweeping due at t.
func (s *sweeper) run(t int64) {
	steps := len(s.tables) * memShards
	if !s.started || t < s.passStart-int64(sweepEvery) {
		// The first call, or a clock set back: a pass starts now.
		s.started, s.passStart, s.next = true, t, 0
		return
	}
	due := steps
	if el := t - s.passStart; el < int64(sweepEvery) {
		due = int(int64(steps) * max(el, 0) / int64(sweepEvery))
	}
	for budget := sweepBudget; s.next < due && budget > 0; s.next++ {
		budget -= 1 + s.tables[s.next/memShards].sweepShard(s.next%memShards, t)
	}
	if s.next == steps {
		// The next pass starts where this one was due to end, or, when
		// the clock has moved on by more than a pass since, a pass ago:
		// the shards this pass looked at before the clock jumped are due
		// again at once.
		s.passStart, s.next = max(s.passStart+int64(sweepEvery), t-int64(sweepEvery)), 0
	}
}
