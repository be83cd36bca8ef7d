package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A follow-up outlives its caller's cancellation but not its deadline, so
// that a Store call on a Cluster returns by the deadline even when the
// follow-up's node stalls.
func TestFollowUpKeepsTheDeadlineNotTheCancel(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	cancel() // the caller went away
	f, fcancel := followUp(ctx)
	defer fcancel()
	require.NoError(t, f.Err(), "not cancelled with its caller")
	got, ok := f.Deadline()
	require.True(t, ok)
	assert.Equal(t, deadline, got, "bounded by the caller's deadline")

	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	f, fcancel = followUp(short)
	defer fcancel()
	select {
	case <-f.Done():
		assert.ErrorIs(t, f.Err(), context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("a follow-up outlived its caller's deadline")
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	f, fcancel = followUp(ctx)
	defer fcancel()
	require.NoError(t, f.Err())
	_, ok = f.Deadline()
	assert.False(t, ok, "no deadline when the caller set none")
}
