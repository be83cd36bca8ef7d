package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpiring(t *testing.T) {
	e := newExpiring[int]()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

	e.put(now, "a", 1, time.Second)
	v, ok := e.get(now+int64(time.Second)-1, "a")
	require.True(t, ok)
	assert.Equal(t, 1, v)
	_, ok = e.get(now+int64(time.Second), "a")
	assert.False(t, ok, "expired at its ttl, before any sweep")
	_, ok = e.entry(now+int64(time.Second), "a")
	assert.False(t, ok)
	e.put(now, "b", 2, 0)
	_, ok = e.get(now, "b")
	assert.False(t, ok, "a ttl of 0 stores nothing")
	e.put(now, "a", 3, time.Hour)
	x, ok := e.entry(now, "a")
	require.True(t, ok)
	x.v = 4
	v, _ = e.get(now, "a")
	assert.Equal(t, 4, v, "entry changes the value in place")
	e.delete("a")
	_, ok = e.get(now, "a")
	assert.False(t, ok)
	assert.Zero(t, e.table.len())
}
