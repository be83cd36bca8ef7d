package verify_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

// issueFails is a MemoryStore whose Issue fails while fail is set.
type issueFails struct {
	*verify.MemoryStore
	fail atomic.Bool
}

func (s *issueFails) Issue(ctx context.Context, now time.Time, recipient string, mac []byte, ttl time.Duration) error {
	if s.fail.Load() {
		return errors.New("store down")
	}
	return s.MemoryStore.Issue(ctx, now, recipient, mac, ttl)
}

// A store failure before LOX24's request sent nothing: the send is taken
// back from the limits and the idempotency key freed, so the user's retry
// goes through once the store is back.
func TestLOX24StoreFailureBeforeTheRequestIsRefunded(t *testing.T) {
	ctx := context.Background()
	store := &issueFails{MemoryStore: verify.NewMemoryStore()}
	g, err := verify.NewGuard(store, verify.WithLimits(verify.Limits{RecipientSends: verify.Rate{Count: 1, Per: time.Hour}}))
	require.NoError(t, err)
	srv, c := newMock(t)
	svc := newService(t, g, verify.LOX24(c))
	req := &verify.SendRequest{To: "+4917012345678", IdempotencyKey: "form-1"}
	store.fail.Store(true)
	_, err = svc.Send(ctx, req)
	require.ErrorIs(t, err, verify.ErrStore)
	assert.Empty(t, srv.Messages(), "nothing went out")
	store.fail.Store(false)
	sent, err := svc.Send(ctx, req)
	require.NoError(t, err, "the key was freed and the send given back")
	assert.NotEmpty(t, sent.Ref)
}

// A caller who went away is not a store failure: no ErrStore, no alert.
func TestCancelledContextIsNotAStoreError(t *testing.T) {
	g := newGuard(t, verify.Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.AllowSend(ctx, "+4917012345678", "")
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, verify.ErrStore)
}
