package mock

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pruning gives back the memory of what it pruned: maps and queues are
// remade once they hold at most a quarter of their peak. (The heap itself
// is measured by BenchmarkMemory in bench/.)
func TestPruningShrinksTheStores(t *testing.T) {
	h := NewHandler(WithClock(t0))
	const n = 4 * shrinkMin
	for i := range n {
		r := do(h, "POST", "/v1/verify/start", fmt.Sprintf(`{"to":"+49170%07d","channel":"sms"}`, i), tryvoxAuth)
		require.Equal(t, 200, r.Status)
	}
	h.mu.Lock()
	assert.Equal(t, n-1, h.st.peaks.tvByID, "the peak seen by the last request's prune")
	assert.GreaterOrEqual(t, cap(h.st.tv.fifo.items), n)
	h.mu.Unlock()

	h.Advance(tryvoxTTL + tryvoxRetention)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Zero(t, len(h.st.tv.byID))
	assert.Zero(t, h.st.peaks.tvByID, "byID was remade")
	assert.Zero(t, h.st.peaks.tvWindows, "windows was remade")
	assert.Less(t, cap(h.st.tv.fifo.items), shrinkMin, "the queue let its large array go")
}

func TestShrinkMap(t *testing.T) {
	m := map[int]int{}
	peak := 0
	for i := range 2 * shrinkMin {
		m[i] = i
		m = shrinkMap(m, &peak)
	}
	assert.Equal(t, 2*shrinkMin, peak)
	for i := range 2*shrinkMin - shrinkMin/2 {
		delete(m, i)
		before := m
		m = shrinkMap(m, &peak)
		if len(m) > shrinkMin/2 {
			require.Equal(t, fmt.Sprintf("%p", before), fmt.Sprintf("%p", m), "kept while above a quarter of the peak")
		}
	}
	assert.Equal(t, shrinkMin/2, len(m))
	assert.Equal(t, shrinkMin/2, peak, "remade once at a quarter")
	for i := 2*shrinkMin - shrinkMin/2; i < 2*shrinkMin; i++ {
		assert.Equal(t, i, m[i], "every entry survives the copy")
	}

	small := map[int]int{1: 1}
	p := shrinkMin - 1
	assert.Equal(t, fmt.Sprintf("%p", small), fmt.Sprintf("%p", shrinkMap(small, &p)), "small maps are left alone")
}

func TestShrinkSliceKeepsTheOrder(t *testing.T) {
	s := make(ddExpiry, 0, 4*shrinkMin)
	for i := range shrinkMin {
		s = append(s, &ddCode{idx: i, validUntil: t0.Add(time.Duration(i))})
	}
	out := shrinkSlice(s)
	assert.Equal(t, 2*shrinkMin, cap(out))
	for i, c := range out {
		require.Equal(t, i, c.idx)
	}
	s = append(s, &ddCode{})
	assert.Equal(t, cap(s), cap(shrinkSlice(s)), "more than a quarter used: kept")
}
