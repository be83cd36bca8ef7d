package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

// deduper is the webhook deduplication of otpkit (otpkit.Deduper), as a
// store may implement it.
type deduper interface {
	Claim(ctx context.Context, id, holder string, lease time.Duration) (bool, error)
	Done(ctx context.Context, id string, keep time.Duration) error
	Release(ctx context.Context, id, holder string) error
}

var _ = register("Deduper", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	d, ok := newStore(t).(deduper)
	if !ok {
		t.Skip("the store does not implement Claim, Done and Release")
	}
	ctx := context.Background()
	got, err := d.Claim(ctx, "ev-1", "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "first claim")
	got, err = d.Claim(ctx, "ev-1", "b", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "claimed by another")

	require.NoError(t, d.Release(ctx, "ev-1", "b"))
	got, err = d.Claim(ctx, "ev-1", "c", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "a release by one that does not hold the claim drops nothing")

	require.NoError(t, d.Release(ctx, "ev-1", "a"))
	got, err = d.Claim(ctx, "ev-1", "b", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "released by its holder, so claimable again")

	require.NoError(t, d.Done(ctx, "ev-1", time.Hour))
	require.NoError(t, d.Release(ctx, "ev-1", "b"), "release after done keeps the done mark")
	got, err = d.Claim(ctx, "ev-1", "c", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "handled")

	got, err = d.Claim(ctx, "ev-2", "a", 50*time.Millisecond)
	require.NoError(t, err)
	require.True(t, got)
	require.Eventually(t, func() bool {
		got, err := d.Claim(ctx, "ev-2", "b", time.Minute)
		return err == nil && got
	}, 5*time.Second, 20*time.Millisecond, "an expired lease can be claimed again")
	require.NoError(t, d.Release(ctx, "ev-2", "a"), "the first holder fails, late")
	got, err = d.Claim(ctx, "ev-2", "c", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "the expired holder's release does not drop the new claim")

	require.NoError(t, d.Done(ctx, "ev-3", 50*time.Millisecond))
	require.Eventually(t, func() bool {
		got, err := d.Claim(ctx, "ev-3", "a", time.Minute)
		return err == nil && got
	}, 5*time.Second, 20*time.Millisecond, "a done mark is kept for keep, then forgotten")

	// Ids and holders far longer than an event id still work as keys
	// (stores keep them bounded; see otpkit.Deduper).
	long := strings.Repeat("x", 60<<10)
	got, err = d.Claim(ctx, long+"1", long+"a", time.Minute)
	require.NoError(t, err)
	require.True(t, got)
	got, err = d.Claim(ctx, long+"2", "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "another long id")
	got, err = d.Claim(ctx, long+"1", "b", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "the same long id")
	require.NoError(t, d.Release(ctx, long+"1", long+"b"))
	got, err = d.Claim(ctx, long+"1", "b", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "another long holder does not release it")
	require.NoError(t, d.Release(ctx, long+"1", long+"a"))
	got, err = d.Claim(ctx, long+"1", "b", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "its long holder does")
})
