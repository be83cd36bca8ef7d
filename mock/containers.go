package mock

// ring keeps the last max values pushed, oldest first. The outbox and the
// request log are rings so that a long-running mock stays bounded.
type ring[T any] struct {
	buf   []T
	start int // index of the oldest value once buf is full
	max   int
}

func newRing[T any](max int) ring[T] { return ring[T]{max: max} }

func (r *ring[T]) push(v T) {
	if len(r.buf) < r.max {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % r.max
}

func (r *ring[T]) len() int { return len(r.buf) }

// at returns the i-th value, 0 being the oldest.
func (r *ring[T]) at(i int) T { return r.buf[(r.start+i)%len(r.buf)] }

// snapshot copies the values out, oldest first.
func (r *ring[T]) snapshot() []T {
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.start:]...)
	return append(out, r.buf[:r.start]...)
}

func (r *ring[T]) clear() { *r = ring[T]{max: r.max} }

// queue is a FIFO. State that expires in the order it was made (Tryvox
// verifications, LOX24 codes) sits in one, so pruning only looks at the
// front: amortised O(1) per item, never a scan.
type queue[T any] struct {
	items []T
	head  int
}

func (q *queue[T]) push(v T) { q.items = append(q.items, v) }

func (q *queue[T]) len() int { return len(q.items) - q.head }

func (q *queue[T]) front() T { return q.items[q.head] }

// at returns the i-th queued value, 0 being the front.
func (q *queue[T]) at(i int) T { return q.items[q.head+i] }

func (q *queue[T]) pop() T {
	var zero T
	v := q.items[q.head]
	q.items[q.head] = zero // let the popped value be collected
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
		if cap(q.items) >= shrinkMin {
			q.items = nil // let the array a burst grew go
		}
	} else if q.head >= 64 && q.head*2 >= len(q.items) {
		live := q.items[q.head:]
		if cap(q.items) >= shrinkMin && len(live) <= cap(q.items)/4 {
			q.items = append(make([]T, 0, 2*len(live)), live...)
		} else {
			n := copy(q.items, live)
			clear(q.items[n:])
			q.items = q.items[:n]
		}
		q.head = 0
	}
	return v
}

// shrinkMin is the capacity below which a drained map or slice keeps its
// memory: giving back less is not worth a copy.
const shrinkMin = 1024

// shrinkMap returns m, or a copy of m sized for what it holds once that is
// at most a quarter of *peak, the most it held since it was made. Go maps
// never give back the room of deleted entries, so without this the maps
// that 100,000 verifications grew would keep their size after pruning for
// as long as the mock lives. The copy costs O(len(m)), paid for by the
// deletions before it.
func shrinkMap[K comparable, V any](m map[K]V, peak *int) map[K]V {
	n := len(m)
	if n >= *peak {
		*peak = n
		return m
	}
	if *peak < shrinkMin || n > *peak/4 {
		return m
	}
	out := make(map[K]V, n)
	for k, v := range m {
		out[k] = v
	}
	*peak = n
	return out
}

// shrinkSlice returns s, or a copy of s with room for twice its length when
// its array is at least shrinkMin long and at most a quarter used. The
// order is kept, so a heap stays a heap (and its elements' indexes stay
// right).
func shrinkSlice[S ~[]E, E any](s S) S {
	if cap(s) < shrinkMin || len(s) > cap(s)/4 {
		return s
	}
	return append(make(S, 0, 2*len(s)), s...)
}
