// Package policytest is the Service's promise suite, run on every store
// (MemoryStore, Redis on one server and on a Cluster): one policy whatever
// the provider, exact under concurrency and outages, on two app instances
// that share the store, against the mock.
package policytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// NewStores returns two stores that share their state, as two app instances
// see one Redis (or one MemoryStore twice). Each call starts empty.
type NewStores func(t *testing.T) (a, b verify.Store)

// Run runs the suite. Set short to leave out the 1,000-check case.
func Run(t *testing.T, newStores NewStores) {
	t.Run("ConcurrentWrongChecksReachTheProvidersAtMostMaxFailures", func(t *testing.T) {
		for _, n := range []int{25, 1000} {
			if n > 25 && testing.Short() {
				continue
			}
			for _, p := range []otpkit.Provider{otpkit.ProviderTryvox, otpkit.ProviderDotdigital} {
				t.Run(fmt.Sprintf("%s/%d", p, n), func(t *testing.T) { concurrentWrongChecks(t, newStores, p, n) })
			}
		}
	})
	for _, p := range []otpkit.Provider{otpkit.ProviderTryvox, otpkit.ProviderDotdigital} {
		t.Run("MaxAttemptsAndCodeTTLHold/"+string(p), func(t *testing.T) { attemptsAndTTL(t, newStores, p) })
	}
	t.Run("AnOutageOfEveryProviderIsRefunded", func(t *testing.T) { outageRefunded(t, newStores) })
	t.Run("ASendThatMayHaveGoneOutStaysCounted", func(t *testing.T) { maybeSentCounted(t, newStores) })
	t.Run("LOX24MaybeSentVerifies", func(t *testing.T) { lox24MaybeSent(t, newStores) })
	t.Run("OneMessageForOneIdempotencyKey", func(t *testing.T) { idempotentSends(t, newStores) })
	for _, p := range []otpkit.Provider{otpkit.ProviderTryvox, otpkit.ProviderDotdigital, otpkit.ProviderLOX24} {
		t.Run("CancelThenCheck/"+string(p), func(t *testing.T) { cancelThenCheck(t, newStores, p) })
	}
	t.Run("NonCanonicalRecipientsAreRefused", func(t *testing.T) { nonCanonical(t, newStores) })
	t.Run("NumberRulesBeforeAnyProvider", func(t *testing.T) { numberRules(t, newStores) })
	t.Run("PumpingAttackIsCut", func(t *testing.T) { pumping(t, newStores, false) })
	if !testing.Short() {
		t.Run("PumpingAttackMonitored", func(t *testing.T) { pumping(t, newStores, true) })
	}
}

// secret is the HMAC key the instances share.
var secret = []byte("policytest: a secret of at least 32 bytes")

// openSends turns the send rules off, for cases about checks.
var openSends = verify.Limits{SendInterval: -1, RecipientSends: verify.Rate{Count: -1},
	IPSends: verify.Rate{Count: -1}, PrefixSends: verify.Rate{Count: -1}}

// clock is a Guard clock the instances share and a case moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// world is two app instances on one mock and one store.
type world struct {
	srv   *mock.Server
	clock *clock
	a, b  *verify.Service
	ga    *verify.Guard
}

// newWorld makes the two instances, each with its own otpkit client (retries
// off, timeout timeout when positive) and the providers ps in that order.
func newWorld(t *testing.T, newStores NewStores, l verify.Limits, timeout time.Duration, ps ...otpkit.Provider) *world {
	return newWorldWith(t, newStores, l, timeout, nil, ps...)
}

// newWorldWith is newWorld with an observer on both instances (o may be
// nil).
func newWorldWith(t *testing.T, newStores NewStores, l verify.Limits, timeout time.Duration, o verify.Observer, ps ...otpkit.Provider) *world {
	t.Helper()
	w := &world{srv: mock.NewServer(), clock: &clock{now: time.Now()}}
	t.Cleanup(w.srv.Close)
	sa, sb := newStores(t)
	instance := func(s verify.Store) (*verify.Service, *verify.Guard) {
		opts := []otpkit.Option{otpkit.WithRetryPolicy(otpkit.RetryPolicy{})}
		if timeout > 0 {
			opts = append(opts, otpkit.WithTimeout(timeout))
		}
		c, err := w.srv.Client(opts...)
		require.NoError(t, err)
		gopts := []verify.GuardOption{verify.WithSecret(secret), verify.WithLimits(l), verify.WithClock(w.clock.Now)}
		if o != nil {
			gopts = append(gopts, verify.WithObserver(o))
		}
		g, err := verify.NewGuard(s, gopts...)
		require.NoError(t, err)
		var provs []verify.Provider
		for _, p := range ps {
			switch p {
			case otpkit.ProviderTryvox:
				provs = append(provs, verify.Tryvox(c))
			case otpkit.ProviderDotdigital:
				provs = append(provs, verify.Dotdigital(c))
			default:
				provs = append(provs, verify.LOX24(c))
			}
		}
		svc, err := verify.New(g, provs...)
		require.NoError(t, err)
		return svc, g
	}
	w.a, w.ga = instance(sa)
	w.b, _ = instance(sb)
	return w
}

// checksAt counts the mock's code checks of provider p so far.
func (w *world) checksAt(p otpkit.Provider) int {
	n := 0
	for _, r := range w.srv.Requests() {
		switch {
		case p == otpkit.ProviderTryvox && r.Method == "POST" && strings.HasSuffix(r.Path, "/check"):
			n++
		case p == otpkit.ProviderDotdigital && r.Provider == p && !strings.EqualFold(r.Path, "/webapi/verify"):
			n++ // every dotdigital request but a send is a validation
		}
	}
	return n
}

// code is the code the mock sent for sent.
func (w *world) code(t *testing.T, sent *verify.Sent, to string) string {
	t.Helper()
	if sent.ProviderID != "" {
		if c, ok := w.srv.CodeFor(sent.ProviderID); ok {
			return c
		}
	}
	c, ok := w.srv.LastCode(to)
	require.True(t, ok, "the mock sent no code to %s", to)
	return c
}

// wrong returns a code of code's length that differs from it.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// concurrentWrongChecks sends 3 codes to one recipient and checks n wrong
// codes at once over its refs on both instances: the providers see exactly
// MaxFailures of them.
func concurrentWrongChecks(t *testing.T, newStores NewStores, p otpkit.Provider, n int) {
	ctx := context.Background()
	l := openSends
	l.MaxFailures = 10
	w := newWorld(t, newStores, l, 0, p)
	const to = "+4917012345678"
	var refs []string
	var codes []string
	for i := range 3 {
		svc := w.a
		if i%2 == 1 {
			svc = w.b
		}
		sent, err := svc.Send(ctx, &verify.SendRequest{To: to})
		require.NoError(t, err)
		refs = append(refs, sent.Ref)
		codes = append(codes, w.code(t, sent, to))
	}
	before := w.checksAt(p)
	var wrongs, locked, limited atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			svc := w.a
			if i%2 == 1 {
				svc = w.b
			}
			err := svc.Check(ctx, refs[i%len(refs)], wrong(codes[i%len(refs)]))
			var le *verify.LimitError
			switch {
			case errors.As(err, &le):
				assert.Equal(t, verify.RuleFailures, le.Rule)
				limited.Add(1)
			case errors.Is(err, otpkit.ErrInvalidCode):
				wrongs.Add(1)
			case errors.Is(err, otpkit.ErrMaxAttempts):
				// The ref's last attempt, or a ref already locked (on a
				// Cluster the ref's lock is read before the budget).
				locked.Add(1)
			default:
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	reached := w.checksAt(p) - before
	t.Logf("%d concurrent wrong checks on 2 instances over 3 refs: %d reached %s; answers: %d wrong code, %d locked, %d budget spent",
		n, reached, p, wrongs.Load(), locked.Load(), limited.Load())
	assert.Equal(t, l.MaxFailures, reached, "exactly MaxFailures checks reach the provider")
	assert.Equal(t, int32(n), wrongs.Load()+locked.Load()+limited.Load(), "every check answered in the Guard's vocabulary")
	assert.LessOrEqual(t, wrongs.Load(), int32(l.MaxFailures))
	assert.Positive(t, limited.Load())
	_, err := w.b.Send(ctx, &verify.SendRequest{To: to})
	var le *verify.LimitError
	require.ErrorAs(t, err, &le, "the budget is spent: no fresh code either")
	assert.Equal(t, verify.RuleFailures, le.Rule)
}

// attemptsAndTTL: MaxAttempts 2 and CodeTTL 2 min hold on a provider that
// allows 5 attempts and 10 minutes, with no provider request for a locked
// or expired ref.
func attemptsAndTTL(t *testing.T, newStores NewStores, p otpkit.Provider) {
	ctx := context.Background()
	l := openSends
	l.MaxAttempts, l.CodeTTL = 2, 2*time.Minute
	w := newWorld(t, newStores, l, 0, p)
	const to = "+4917012345678"
	sent, err := w.a.Send(ctx, &verify.SendRequest{To: to})
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(2*time.Minute), sent.ExpiresAt, 5*time.Second, "the earlier of CodeTTL and the provider's expiry")
	code := w.code(t, sent, to)
	var ice *verify.InvalidCodeError
	require.ErrorAs(t, w.a.Check(ctx, sent.Ref, wrong(code)), &ice)
	assert.Equal(t, 1, ice.AttemptsLeft, "the ref's own count, not the provider's 4")
	require.ErrorIs(t, w.b.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrMaxAttempts, "the 2nd wrong code locks")
	before := len(w.srv.Requests())
	require.ErrorIs(t, w.a.Check(ctx, sent.Ref, code), otpkit.ErrMaxAttempts, "even the right code")
	assert.Equal(t, before, len(w.srv.Requests()), "a locked ref reaches no provider")

	sent, err = w.b.Send(ctx, &verify.SendRequest{To: to})
	require.NoError(t, err)
	code = w.code(t, sent, to)
	w.clock.Advance(3 * time.Minute)
	before = len(w.srv.Requests())
	require.ErrorIs(t, w.a.Check(ctx, sent.Ref, code), otpkit.ErrNotFound, "CodeTTL passed by the Guard's clock")
	assert.Equal(t, before, len(w.srv.Requests()), "an expired ref reaches no provider")
}

// outageRefunded: sends that every provider refused (503) leave every send
// window as it was.
func outageRefunded(t *testing.T, newStores NewStores) {
	ctx := context.Background()
	one := verify.Rate{Count: 2, Per: time.Hour}
	l := verify.Limits{SendInterval: time.Minute, RecipientSends: one, IPSends: one, PrefixSends: one}
	w := newWorld(t, newStores, l, 0, otpkit.ProviderTryvox, otpkit.ProviderDotdigital)
	w.srv.InjectFault("POST /v1/verify/start", mock.Fault{Status: 503, Count: -1})
	w.srv.InjectFault("POST /webapi/verify", mock.Fault{Status: 503, Count: -1})
	const to, ip = "+4917012345678", "192.0.2.7"
	for i := range 5 {
		svc := w.a
		if i%2 == 1 {
			svc = w.b
		}
		_, err := svc.Send(ctx, &verify.SendRequest{To: to, IP: ip})
		var se *verify.SendError
		require.ErrorAs(t, err, &se, "send %d", i)
		require.ErrorIs(t, err, otpkit.ErrServer)
		assert.Nil(t, se.MaybeSent)
	}
	assert.Empty(t, w.srv.Messages())
	w.srv.ClearFaults()
	_, err := w.a.Send(ctx, &verify.SendRequest{To: to, IP: ip})
	require.NoError(t, err, "after the outage: no interval, no window spent")
	w.clock.Advance(time.Minute)
	_, err = w.b.Send(ctx, &verify.SendRequest{To: to, IP: ip})
	require.NoError(t, err, "the second of 2")
	w.clock.Advance(time.Minute)
	_, err = w.a.Send(ctx, &verify.SendRequest{To: to, IP: ip})
	var le *verify.LimitError
	require.ErrorAs(t, err, &le, "the third is over the limit: the windows count sends, not attempts")
}

// maybeSentCounted: a send whose answer was lost after Tryvox acted stays
// counted.
func maybeSentCounted(t *testing.T, newStores NewStores) {
	ctx := context.Background()
	l := verify.Limits{RecipientSends: verify.Rate{Count: 1, Per: time.Hour}, SendInterval: -1}
	w := newWorld(t, newStores, l, 300*time.Millisecond, otpkit.ProviderTryvox, otpkit.ProviderDotdigital)
	w.srv.InjectFault("POST /v1/verify/start", mock.Fault{AfterHandler: true, Delay: 3 * time.Second})
	const to = "+4917012345678"
	_, err := w.a.Send(ctx, &verify.SendRequest{To: to})
	require.ErrorIs(t, err, otpkit.ErrUnavailable)
	require.NotErrorIs(t, err, otpkit.ErrNotSent)
	var se *verify.SendError
	if errors.As(err, &se) {
		assert.Nil(t, se.MaybeSent, "Tryvox gives no id without an answer")
	}
	assert.Len(t, w.srv.Messages(), 1, "Tryvox sent it; no failover")
	_, err = w.b.Send(ctx, &verify.SendRequest{To: to})
	var le *verify.LimitError
	require.ErrorAs(t, err, &le, "the send that may have gone out counts")
	assert.Equal(t, verify.RuleRecipientSends, le.Rule)
}

// lox24MaybeSent: LOX24 acted, the answer was lost; the code that may
// arrive verifies through MaybeSent.Ref, on either instance.
func lox24MaybeSent(t *testing.T, newStores NewStores) {
	ctx := context.Background()
	w := newWorld(t, newStores, openSends, 0, otpkit.ProviderLOX24)
	w.srv.InjectFault("POST /verify_codes", mock.Fault{AfterHandler: true, DropConnection: true})
	const to = "+4917012345678"
	sent, err := w.a.Send(ctx, &verify.SendRequest{To: to})
	require.Nil(t, sent)
	require.ErrorIs(t, err, otpkit.ErrUnavailable)
	var se *verify.SendError
	require.ErrorAs(t, err, &se)
	require.NotNil(t, se.MaybeSent, "the ref was kept before the request")
	assert.Equal(t, otpkit.ProviderLOX24, se.MaybeSent.Provider)
	w.srv.Advance(time.Second) // LOX24 delivers the sms step on its clock
	code, ok := w.srv.LastCode(to)
	require.True(t, ok, "the mock acted")
	require.ErrorIs(t, w.b.Check(ctx, se.MaybeSent.Ref, wrong(code)), otpkit.ErrInvalidCode)
	require.NoError(t, w.b.Check(ctx, se.MaybeSent.Ref, code), "the code that arrived verifies")
}

// idempotentSends: 20 Sends at once with one key on two instances send one
// message, and every answer that is not ErrSendInProgress is the same Sent.
func idempotentSends(t *testing.T, newStores NewStores) {
	ctx := context.Background()
	w := newWorld(t, newStores, verify.Limits{}, 0, otpkit.ProviderTryvox)
	w.srv.InjectFault("POST /v1/verify/start", mock.Fault{Delay: 200 * time.Millisecond}) // keep the first one running
	const to, key = "+4917012345678", "signup-4f1c2a"
	var mu sync.Mutex
	refs := map[string]int{}
	var inProgress atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			svc := w.a
			if i%2 == 1 {
				svc = w.b
			}
			sent, err := svc.Send(ctx, &verify.SendRequest{To: to, IdempotencyKey: key})
			switch {
			case errors.Is(err, verify.ErrSendInProgress):
				assert.ErrorIs(t, err, otpkit.ErrRateLimited)
				inProgress.Add(1)
			case assert.NoError(t, err):
				mu.Lock()
				refs[sent.Ref]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, w.srv.Messages(), 1, "one message for one key")
	assert.Len(t, refs, 1, "one Ref")
	assert.Positive(t, inProgress.Load())

	again, err := w.b.Send(ctx, &verify.SendRequest{To: to, IdempotencyKey: key})
	require.NoError(t, err)
	_, same := refs[again.Ref]
	assert.True(t, same, "a repeat after the first finished returns its Sent")
	assert.Len(t, w.srv.Messages(), 1)
	require.NoError(t, w.a.Check(ctx, again.Ref, w.code(t, again, to)))

	_, err = w.a.Send(ctx, &verify.SendRequest{To: "+4917000000000", IdempotencyKey: key})
	var ve *otpkit.ValidationError
	require.ErrorAs(t, err, &ve, "a key reused for another recipient")
	assert.Equal(t, "idempotency_key", ve.Field)
	assert.Len(t, w.srv.Messages(), 1)
}

// cancelThenCheck: a cancelled ref verifies nothing.
func cancelThenCheck(t *testing.T, newStores NewStores, p otpkit.Provider) {
	ctx := context.Background()
	w := newWorld(t, newStores, openSends, 0, p)
	const to = "+4917012345678"
	sent, err := w.a.Send(ctx, &verify.SendRequest{To: to})
	require.NoError(t, err)
	code := w.code(t, sent, to)
	require.NoError(t, w.b.Cancel(ctx, sent.Ref))
	require.ErrorIs(t, w.a.Check(ctx, sent.Ref, code), otpkit.ErrNotFound)
	require.NoError(t, w.a.Cancel(ctx, sent.Ref), "cancelling twice is no error")
	require.NoError(t, w.a.Cancel(ctx, "not-a-ref"), "nor cancelling what never was")
}

// nonCanonical: spellings that are not E.164 are refused by the Guard and
// record nothing.
func nonCanonical(t *testing.T, newStores NewStores) {
	ctx := context.Background()
	w := newWorld(t, newStores, verify.Limits{RecipientSends: verify.Rate{Count: 1, Per: time.Hour}}, 0, otpkit.ProviderTryvox)
	for _, r := range []string{"00491705550123", "+49 170 5550123", "+４９１７０５５５０１２３", "+49-170-5550123", "491705550123"} {
		var ve *otpkit.ValidationError
		require.ErrorAs(t, w.ga.AllowSend(ctx, r, ""), &ve, "%q", r)
		assert.NotContains(t, ve.Error(), "5550123", "the error repeats no number")
	}
	require.NoError(t, w.ga.AllowSend(ctx, "+491705550123", ""), "nothing was recorded for the refused spellings")
}
