package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

// deduper is the webhook deduplication of otpkit, as a store may implement it.
type deduper interface {
	Claim(ctx context.Context, id string, lease time.Duration) (bool, error)
	Done(ctx context.Context, id string, keep time.Duration) error
	Release(ctx context.Context, id string) error
}

var _ = register("Deduper", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	d, ok := newStore(t).(deduper)
	if !ok {
		t.Skip("the store does not implement Claim, Done and Release")
	}
	ctx := context.Background()
	got, err := d.Claim(ctx, "ev-1", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "first claim")
	got, err = d.Claim(ctx, "ev-1", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "claimed by another")

	require.NoError(t, d.Release(ctx, "ev-1"))
	got, err = d.Claim(ctx, "ev-1", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "released, so claimable again")

	require.NoError(t, d.Done(ctx, "ev-1", time.Hour))
	require.NoError(t, d.Release(ctx, "ev-1"), "release after done keeps the done mark")
	got, err = d.Claim(ctx, "ev-1", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "handled")

	got, err = d.Claim(ctx, "ev-2", 50*time.Millisecond)
	require.NoError(t, err)
	require.True(t, got)
	require.Eventually(t, func() bool {
		got, err := d.Claim(ctx, "ev-2", time.Minute)
		return err == nil && got
	}, 5*time.Second, 20*time.Millisecond, "an expired lease can be claimed again")

	require.NoError(t, d.Done(ctx, "ev-3", 50*time.Millisecond))
	require.Eventually(t, func() bool {
		got, err := d.Claim(ctx, "ev-3", time.Minute)
		return err == nil && got
	}, 5*time.Second, 20*time.Millisecond, "a done mark is kept for keep, then forgotten")
})
