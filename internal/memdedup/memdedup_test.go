package memdedup

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeduperClaimDoneRelease(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := New(func() time.Time { return now })
	ctx := context.Background()

	got, err := d.Claim(ctx, "e1", time.Minute)
	require.NoError(t, err)
	assert.True(t, got)
	got, _ = d.Claim(ctx, "e1", time.Minute)
	assert.False(t, got, "claimed")

	require.NoError(t, d.Release(ctx, "e1"))
	got, _ = d.Claim(ctx, "e1", time.Minute)
	assert.True(t, got, "released: the next delivery runs")

	now = now.Add(2 * time.Minute)
	got, _ = d.Claim(ctx, "e1", time.Minute)
	assert.True(t, got, "an expired claim (a handler that died) is claimable")

	require.NoError(t, d.Done(ctx, "e1", time.Hour))
	require.NoError(t, d.Release(ctx, "e1"))
	got, _ = d.Claim(ctx, "e1", time.Minute)
	assert.False(t, got, "handled stays handled, even after a Release")

	now = now.Add(time.Hour + time.Second)
	got, _ = d.Claim(ctx, "e1", time.Minute)
	assert.True(t, got, "forgotten after keep")

	got, _ = d.Claim(ctx, "e2", 0)
	assert.False(t, got, "a lease of 0 claims nothing")
	got, _ = d.Claim(ctx, "e2", time.Minute)
	assert.True(t, got, "and records nothing")
}

func TestDeduperIsPruned(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := New(func() time.Time { return now })
	ctx := context.Background()
	for i := range 5000 {
		id := fmt.Sprint("e", i)
		_, _ = d.Claim(ctx, id, time.Minute)
		if i%2 == 0 {
			_ = d.Done(ctx, id, time.Hour)
		} else {
			_ = d.Release(ctx, id)
		}
		now = now.Add(time.Millisecond)
	}
	entries, _ := d.Len()
	assert.Equal(t, 2500, entries, "released ids are gone at once")
	now = now.Add(2 * time.Hour)
	_, _ = d.Claim(ctx, "last", time.Minute)
	entries, items := d.Len()
	assert.Equal(t, 1, entries, "expired ids are dropped")
	assert.Equal(t, 1, items, "and their heap items too")
}
