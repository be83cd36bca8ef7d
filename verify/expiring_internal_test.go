package verify

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpiring(t *testing.T) {
	var e expiring[int]
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

	e.put(now, "a", 1, time.Second)
	v, ok := e.get(now+int64(time.Second)-1, "a")
	require.True(t, ok)
	assert.Equal(t, 1, v)
	_, ok = e.get(now+int64(time.Second), "a")
	assert.False(t, ok, "expired at its ttl, before any sweep")
	e.put(now, "b", 2, 0)
	_, ok = e.get(now, "b")
	assert.False(t, ok, "a ttl of 0 stores nothing")
	e.put(now, "a", 3, time.Hour)
	e.delete("a")
	_, ok = e.get(now, "a")
	assert.False(t, ok)

	// Under steady traffic the map never empties; it is still rebuilt once
	// it holds a quarter of its peak, and keeps what is live.
	for i := range 1000 {
		ttl := time.Second
		if i%10 == 0 {
			ttl = time.Hour
		}
		e.put(now, fmt.Sprint(i), i, ttl)
	}
	require.Equal(t, 1000, e.peak)
	now += int64(2 * sweepEvery)
	e.put(now, "new", -1, time.Hour)
	assert.Len(t, e.entries, 101, "the expired 900 are gone")
	assert.Equal(t, 101, e.peak, "the peak restarts from the live size (100) and the new entry")
	for i := 0; i < 1000; i += 10 {
		v, ok := e.get(now, fmt.Sprint(i))
		require.True(t, ok, i)
		assert.Equal(t, i, v)
	}
}
