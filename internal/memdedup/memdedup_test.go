package memdedup

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeduperClaimDoneRelease(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := New(func() time.Time { return now })
	ctx := context.Background()

	got, err := d.Claim(ctx, "e1", "h1", time.Minute)
	require.NoError(t, err)
	assert.True(t, got)
	got, _ = d.Claim(ctx, "e1", "h1", time.Minute)
	assert.False(t, got, "claimed")

	require.NoError(t, d.Release(ctx, "e1", "h2"))
	got, _ = d.Claim(ctx, "e1", "h3", time.Minute)
	assert.False(t, got, "released by one that does not hold it: still claimed")
	require.NoError(t, d.Release(ctx, "e1", "h1"))
	got, _ = d.Claim(ctx, "e1", "h1", time.Minute)
	assert.True(t, got, "released by its holder: the next delivery runs")

	now = now.Add(2 * time.Minute)
	got, _ = d.Claim(ctx, "e1", "h1", time.Minute)
	assert.True(t, got, "an expired claim (a handler that died) is claimable")

	require.NoError(t, d.Done(ctx, "e1", time.Hour))
	require.NoError(t, d.Release(ctx, "e1", "h1"))
	got, _ = d.Claim(ctx, "e1", "h1", time.Minute)
	assert.False(t, got, "handled stays handled, even after a Release")

	now = now.Add(time.Hour + time.Second)
	got, _ = d.Claim(ctx, "e1", "h1", time.Minute)
	assert.True(t, got, "forgotten after keep")

	got, _ = d.Claim(ctx, "e2", "h1", 0)
	assert.False(t, got, "a lease of 0 claims nothing")
	got, _ = d.Claim(ctx, "e2", "h1", time.Minute)
	assert.True(t, got, "and records nothing")
}

func TestDeduperIsPruned(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := New(func() time.Time { return now })
	ctx := context.Background()
	for i := range 5000 {
		id := fmt.Sprint("e", i)
		_, _ = d.Claim(ctx, id, "h", time.Minute)
		if i%2 == 0 {
			_ = d.Done(ctx, id, time.Hour)
		} else {
			_ = d.Release(ctx, id, "h")
		}
		now = now.Add(time.Millisecond)
	}
	entries, _ := d.Len()
	assert.Equal(t, 2500, entries, "released ids are gone at once")
	_, before := d.Len()
	now = now.Add(2 * time.Hour)
	_, _ = d.Claim(ctx, "last", "h", time.Minute)
	_, items := d.Len()
	assert.Equal(t, before+1-pruneBatch, items, "one call drops a bounded share of what expired")
	for range before / pruneBatch {
		_, _ = d.Claim(ctx, "last", "h", time.Minute)
	}
	entries, items = d.Len()
	assert.Equal(t, 1, entries, "expired ids are dropped")
	assert.Equal(t, 1, items, "and their heap items too")
}

// A claim whose lease ran out and that another took is not released by
// its first holder: the second one's handling goes on undisturbed.
func TestDeduperExpiredHolderCannotReleaseTheNextClaim(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := New(func() time.Time { return now })
	ctx := context.Background()
	got, _ := d.Claim(ctx, "e1", "slow", time.Minute)
	require.True(t, got)
	now = now.Add(2 * time.Minute)
	got, _ = d.Claim(ctx, "e1", "retry", time.Minute)
	require.True(t, got, "the lease ran out")
	require.NoError(t, d.Release(ctx, "e1", "slow"), "the first handler failed, late")
	got, _ = d.Claim(ctx, "e1", "third", time.Minute)
	assert.False(t, got, "the retry still holds it")
}

// Ids and holders of any length are stored as bounded keys, and still
// tell events apart.
func TestDeduperKeysAreBounded(t *testing.T) {
	d := New(time.Now)
	ctx := context.Background()
	long := strings.Repeat("x", 60<<10)
	got, _ := d.Claim(ctx, long+"1", long+"h", time.Minute)
	require.True(t, got)
	got, _ = d.Claim(ctx, long+"1", "h", time.Minute)
	assert.False(t, got, "the same long id")
	got, _ = d.Claim(ctx, long+"2", "h", time.Minute)
	assert.True(t, got, "another long id")
	require.NoError(t, d.Release(ctx, long+"1", long+"h"))
	got, _ = d.Claim(ctx, long+"1", "h", time.Minute)
	assert.True(t, got, "released by its long holder")

	d.mu.Lock()
	defer d.mu.Unlock()
	for k, e := range d.entries {
		assert.LessOrEqual(t, len(k), 71)
		assert.LessOrEqual(t, len(e.holder), 71)
	}
	assert.Equal(t, "e1", Key("e1"), "a short id is kept as it is")
	assert.Len(t, Key(strings.Repeat("y", MaxIDBytes)), MaxIDBytes)
	assert.Len(t, Key(strings.Repeat("y", MaxIDBytes+1)), 71)
}
