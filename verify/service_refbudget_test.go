package verify_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// plainStore is a Store without the optional verify.RefBudgetLoader (only
// Store's methods are promoted), like a user's own store.
type plainStore struct{ verify.Store }

// loaderStore is a MemoryStore that counts its LoadRefAllowCheck calls.
type loaderStore struct {
	*verify.MemoryStore
	calls atomic.Int32
}

func (s *loaderStore) LoadRefAllowCheck(ctx context.Context, now time.Time, ref string, failures verify.Rate) (verify.RefRecord, error) {
	s.calls.Add(1)
	return s.MemoryStore.LoadRefAllowCheck(ctx, now, ref, failures)
}

// stoppedClock is a Guard clock that moves only when told.
type stoppedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stoppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stoppedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Service.Check answers alike whether the store checks the failure budget
// with the ref (RefBudgetLoader, one step) or the Service asks AllowCheck
// after LoadRef: a spent budget is the same *LimitError, to the nanosecond,
// reaches no provider, and still comes after the code's shape.
func TestServiceCheckBudgetWithAndWithoutRefBudgetLoader(t *testing.T) {
	var _ verify.RefBudgetLoader = verify.NewMemoryStore()
	stores := map[string]func() verify.Store{
		"RefBudgetLoader": func() verify.Store { return &loaderStore{MemoryStore: verify.NewMemoryStore()} },
		"two calls":       func() verify.Store { return plainStore{verify.NewMemoryStore()} },
	}
	for _, p := range allProviders {
		retries := map[string]time.Duration{}
		for storeName, newStore := range stores {
			t.Run(string(p)+"/"+storeName, func(t *testing.T) {
				_, isLoader := newStore().(verify.RefBudgetLoader)
				require.Equal(t, storeName == "RefBudgetLoader", isLoader)
				ctx := context.Background()
				srv, c := newMock(t)
				clock := &stoppedClock{now: time.Date(2031, 3, 4, 5, 6, 7, 891_234_567, time.UTC)}
				l := openLimits
				l.MaxFailures, l.FailureWindow = 2, 5*time.Minute
				store := newStore()
				g, err := verify.NewGuard(store, verify.WithLimits(l), verify.WithClock(clock.Now),
					verify.WithSecret([]byte(strings.Repeat("k", 32))))
				require.NoError(t, err)
				// p sends; a second provider makes every Service use the
				// capability (a LOX24-only one needs no budget with its refs).
				second := verify.Tryvox(c)
				if p == otpkit.ProviderTryvox {
					second = verify.LOX24(c)
				}
				svc := newService(t, g, providerOf(p, c), second)
				const phone = "+4917012345678"
				sent, err := svc.Send(ctx, &verify.SendRequest{To: phone})
				require.NoError(t, err)
				code := codeFor(t, srv, sent)

				require.ErrorIs(t, svc.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrInvalidCode)
				clock.Advance(time.Minute + 7*time.Nanosecond)
				require.ErrorIs(t, svc.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrInvalidCode)
				clock.Advance(time.Second)

				asked := len(srv.Requests())
				var ve *otpkit.ValidationError
				require.ErrorAs(t, svc.Check(ctx, sent.Ref, code+"0"), &ve, "a code of the wrong length is refused first")
				var le *verify.LimitError
				require.ErrorAs(t, svc.Check(ctx, sent.Ref, code), &le, "budget spent: the right code is refused")
				assert.Equal(t, verify.RuleFailures, le.Rule)
				assert.Equal(t, 5*time.Minute-time.Minute-7*time.Nanosecond-time.Second, le.RetryAfter)
				assert.Equal(t, asked, len(srv.Requests()), "no provider was asked")
				retries[storeName] = le.RetryAfter

				clock.Advance(le.RetryAfter)
				require.NoError(t, svc.Check(ctx, sent.Ref, code), "verified once the oldest failure left the window")
				require.ErrorIs(t, svc.Check(ctx, sent.Ref, code), otpkit.ErrNotFound, "used up")
				if ls, ok := store.(*loaderStore); ok {
					assert.Equal(t, int32(6), ls.calls.Load(), "every Check read its ref with the budget")
				}
			})
		}
		assert.Equal(t, retries["two calls"], retries["RefBudgetLoader"], "%s: same RetryAfter both ways", p)
	}
}
