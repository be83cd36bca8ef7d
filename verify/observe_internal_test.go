package verify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// Secrets an event must never show, planted in the errors fed to it.
const (
	secretNumber = "+4917012345678"
	secretCode   = "493817"
	secretRef    = "Zq3v9yXk2mB7pL0aW5sT1g"
	secretIP     = "198.51.100.23"
)

// leakyErrors are errors whose own text holds every secret, as a provider's
// message, a response body or a transport error might, each meaning
// something an event must keep.
func leakyErrors() map[string]struct {
	err  error
	kept []error // sentinels errors.Is must still find
} {
	secrets := secretNumber + " " + secretCode + " " + secretRef + " " + secretIP
	api := &otpkit.APIError{Provider: otpkit.ProviderTryvox, StatusCode: 503, Code: secretCode,
		Message: "to " + secrets, RequestID: secretRef, Body: []byte(`{"to":"` + secretNumber + `"}`),
		Method: "POST", Path: "/v1/verify/" + secretRef + "/check"}
	transport := &url.Error{Op: "Post", URL: "https://" + secretIP + "/v1/verify/" + secretRef,
		Err: errors.New("connection reset by " + secrets)}
	return map[string]struct {
		err  error
		kept []error
	}{
		"provider 503": {fmt.Errorf("verify: tryvox: %w", api), []error{otpkit.ErrServer}},
		"transport":    {&classified{transport, []error{otpkit.ErrUnavailable}}, []error{otpkit.ErrUnavailable}},
		"not sent": {&classified{transport, []error{otpkit.ErrUnavailable, otpkit.ErrNotSent}},
			[]error{otpkit.ErrUnavailable, otpkit.ErrNotSent}},
		"store": {storeFailed(errors.New("redis: key otpkit:" + secrets)), nil},
		"send error": {&SendError{Failovers: []error{fmt.Errorf("verify: tryvox: %w", api),
			&classified{transport, []error{otpkit.ErrNotSent}}}}, []error{otpkit.ErrServer, otpkit.ErrNotSent}},
		"unknown": {errors.New(secrets), nil},
	}
}

// classified is an error with a leaky text that matches the given
// sentinels, as otpkit's transport errors do.
type classified struct {
	err error
	is  []error
}

func (c *classified) Error() string { return c.err.Error() }
func (c *classified) Unwrap() error { return c.err }
func (c *classified) Is(target error) bool {
	for _, s := range c.is {
		if s == target {
			return true
		}
	}
	return false
}

// assertNoSecret fails when s holds one of the planted secrets.
func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{secretNumber, "17012345678", secretCode, secretRef, secretIP} {
		assert.NotContains(t, s, secret)
	}
}

func TestEventErrorKeepsMeaningWithoutText(t *testing.T) {
	for name, c := range leakyErrors() {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, c.err.Error(), secretRef, "the test's error must be leaky")
			e := eventError(c.err)
			assertNoSecret(t, e.Error())
			assert.NotEmpty(t, e.Error())
			for _, s := range c.kept {
				assert.ErrorIs(t, e, s)
			}
			assert.ErrorIs(t, e, c.err, "errors.Is finds the original itself")
			var ae *otpkit.APIError
			assert.False(t, errors.As(e, &ae), "an APIError and its body stay out of reach")
			assert.Same(t, e, eventError(e), "an event's error is not wrapped twice")
		})
	}
	assert.NoError(t, eventError(nil))
}

func TestEventErrorDescribes(t *testing.T) {
	api503 := fmt.Errorf("verify: tryvox: %w", &otpkit.APIError{Provider: otpkit.ProviderTryvox, StatusCode: 503, Message: secretNumber})
	notSent := &classified{errors.New(secretIP), []error{otpkit.ErrUnavailable, otpkit.ErrNotSent}}
	for _, c := range []struct {
		err  error
		want string
	}{
		{api503, "otpkit: server error (tryvox HTTP 503)"},
		{notSent, "otpkit: provider unavailable (not sent)"},
		{&classified{errors.New(secretIP), []error{otpkit.ErrUnavailable}}, "otpkit: provider unavailable (may have been sent)"},
		{&LimitError{Rule: RuleIPSends, RetryAfter: time.Minute}, "verify: refused by rule ip_sends; retry after 1m0s"},
		{fmt.Errorf("x %s: %w", secretNumber, &InvalidCodeError{AttemptsLeft: 2}), "verify: invalid code; 2 attempts left"},
		{errAttemptsUsedUp, "verify: the code's attempts are used up"},
		{errRefGone, "verify: no live code (expired, used or unknown)"},
		{&otpkit.ValidationError{Field: "code", Reason: "must be digits only"}, "otpkit: invalid request: code: must be digits only"},
		{fmt.Errorf("%s: %w", secretIP, context.DeadlineExceeded), "context deadline exceeded"},
		{&SendError{Failovers: []error{api503, notSent}},
			"verify: no provider could send: otpkit: server error (tryvox HTTP 503); otpkit: provider unavailable (not sent)"},
		{&SendError{Failovers: []error{api503}, Err: &classified{errors.New(secretIP), []error{otpkit.ErrUnavailable}}},
			"verify: send failed: otpkit: provider unavailable (may have been sent); after failing over from: otpkit: server error (tryvox HTTP 503)"},
		{errors.New(secretNumber), "verify: *errors.errorString (text withheld from events)"},
		{&otpkit.APIError{Provider: "acme", StatusCode: 409, Message: secretNumber}, "otpkit: provider error (provider HTTP 409)"},
	} {
		assert.Equal(t, c.want, eventError(c.err).Error())
	}
	var le *LimitError
	require.ErrorAs(t, eventError(fmt.Errorf("wrapped: %w", &LimitError{Rule: RuleFailures})), &le)
	assert.Equal(t, RuleFailures, le.Rule)

	// A store's error says it is one, and keeps what it means.
	for err, want := range map[error]string{
		storeFailed(errors.New("redis: " + secretNumber)):             "verify: store failed",
		storeFailed(fmt.Errorf("%s: %w", secretIP, context.Canceled)): "verify: store failed: context canceled",
	} {
		e := storeEventError(err)
		assert.Equal(t, want, e.Error())
		assert.ErrorIs(t, e, err)
	}
	assert.NoError(t, storeEventError(nil))
}

func TestEventKinds(t *testing.T) {
	final := map[EventKind]Op{EventSent: OpSend, EventSendRefused: OpSend, EventSendFailed: OpSend,
		EventVerified: OpCheck, EventWrongCode: OpCheck, EventLocked: OpCheck, EventExpired: OpCheck,
		EventCheckRefused: OpCheck, EventCheckFailed: OpCheck}
	names := map[string]bool{}
	for k := EventSent; k <= EventWouldRefuse; k++ {
		assert.NotEqual(t, "unknown", k.String(), "kind %d has a name", k)
		assert.False(t, names[k.String()], "kind names are distinct")
		names[k.String()] = true
		op, isFinal := final[k]
		assert.Equal(t, isFinal, k.Final(), k.String())
		if isFinal {
			assert.Equal(t, op, k.Op(), k.String())
		}
	}
	assert.Equal(t, OpSend, EventFailover.Op())
	assert.Equal(t, OpSend, EventWouldRefuse.Op())
	assert.Equal(t, Op(""), EventStoreError.Op())
	assert.Equal(t, "unknown", EventKind(0).String())
	assert.Equal(t, "unknown", (EventWouldRefuse + 1).String())
	assert.False(t, EventKind(0).Final())
}

// recorder is an Observer (and, as spanRecorder, a SpanObserver) that keeps
// what it is told.
type recorder struct {
	mu     sync.Mutex
	events []Event
	log    []string // "observe kind", "start op", "end kind"
}

type spanKey struct{}

func (r *recorder) Observe(ctx context.Context, e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	r.log = append(r.log, fmt.Sprintf("observe %s in %v", e.Kind, ctx.Value(spanKey{})))
}

// spanRecorder is a recorder that wants a scope: its Start puts the op in
// the context, and its End checks it gets that context.
type spanRecorder struct{ recorder }

func (r *spanRecorder) Start(ctx context.Context, op Op) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, "start "+string(op))
	return context.WithValue(ctx, spanKey{}, op)
}

func (r *spanRecorder) End(ctx context.Context, e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("end %s in %v", e.Kind, ctx.Value(spanKey{})))
}

func observedGuard(t *testing.T, o Observer) *Guard {
	t.Helper()
	g, err := NewGuard(NewMemoryStore(), WithObserver(o))
	require.NoError(t, err)
	return g
}

func TestWithObserverRefusesNil(t *testing.T) {
	var ve *otpkit.ValidationError
	_, err := NewGuard(NewMemoryStore(), WithObserver(nil))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "observer", ve.Field)
}

func TestEmitPreparesEvents(t *testing.T) {
	rec := &recorder{}
	g := observedGuard(t, rec)
	require.True(t, g.observing())
	api := fmt.Errorf("verify: tryvox: %w", &otpkit.APIError{Provider: otpkit.ProviderTryvox, StatusCode: 500, Message: secretNumber})
	ctx := context.Background()
	g.emit(ctx, Event{Kind: EventFailover, Provider: otpkit.ProviderTryvox, Latency: time.Millisecond, Err: api})
	g.emit(ctx, Event{Kind: EventStoreError, Op: OpCheck, Err: storeFailed(errors.New(secretIP))})
	g.emit(ctx, Event{Kind: EventStoreError})
	require.Len(t, rec.events, 3)
	assert.Equal(t, OpSend, rec.events[0].Op, "the op is filled in from the kind")
	assert.Equal(t, OpCheck, rec.events[1].Op, "a given op stays")
	assert.Equal(t, Op(""), rec.events[2].Op)
	assert.ErrorIs(t, rec.events[0].Err, otpkit.ErrServer)
	assertNoSecret(t, rec.events[0].Err.Error())
	assert.Equal(t, "verify: store failed", rec.events[1].Err.Error())
	assert.NoError(t, rec.events[2].Err)
	assert.Equal(t, time.Millisecond, rec.events[0].Latency)
	// A plain Observer gets no scope: start leaves the context as it is.
	plain := context.WithValue(ctx, spanKey{}, "app")
	assert.Equal(t, plain, g.start(plain, OpSend))
}

func TestStartFinishScopeAnOperation(t *testing.T) {
	rec := &spanRecorder{}
	g := observedGuard(t, rec)
	ctx := g.start(context.Background(), OpCheck)
	g.emit(ctx, Event{Kind: EventStoreError, Err: errors.New("x")})
	g.finishCheck(ctx, Event{Provider: otpkit.ProviderDotdigital, Latency: time.Second}, &InvalidCodeError{AttemptsLeft: 1})
	assert.Equal(t, []string{"start check", "observe store_error in check", "observe wrong_code in check", "end wrong_code in check"}, rec.log)
	last := rec.events[len(rec.events)-1]
	assert.Equal(t, Event{Kind: EventWrongCode, Op: OpCheck, Provider: otpkit.ProviderDotdigital, Latency: time.Second, Err: last.Err}, last)
	assert.ErrorIs(t, last.Err, otpkit.ErrInvalidCode)
}

func TestFinalKindsFromErrors(t *testing.T) {
	rec := &recorder{}
	g := observedGuard(t, rec)
	ctx := context.Background()
	limit := &LimitError{Rule: RuleFailures, RetryAfter: time.Hour}
	for _, c := range []struct {
		err  error
		kind EventKind
		rule Rule
	}{
		{nil, EventVerified, ""},
		{limit, EventCheckRefused, RuleFailures},
		{&InvalidCodeError{AttemptsLeft: 3}, EventWrongCode, ""},
		{errWrongCode, EventWrongCode, ""},
		{errAttemptsUsedUp, EventLocked, ""},
		{errRefGone, EventExpired, ""},
		{errNoLiveCode, EventExpired, ""},
		{&otpkit.ValidationError{Field: "code", Reason: "must be digits only"}, EventCheckFailed, ""},
		{storeFailed(errors.New("down")), EventCheckFailed, ""},
		{fmt.Errorf("verify: tryvox: %w", &otpkit.APIError{Provider: otpkit.ProviderTryvox, StatusCode: 502}), EventCheckFailed, ""},
	} {
		rec.events = nil
		g.finishCheck(ctx, Event{}, c.err)
		require.Len(t, rec.events, 1)
		assert.Equal(t, c.kind, rec.events[0].Kind, "%v", c.err)
		assert.Equal(t, c.rule, rec.events[0].Rule)
		assert.Equal(t, OpCheck, rec.events[0].Op)
		assert.Equal(t, c.err == nil, rec.events[0].Err == nil)
	}
	for _, c := range []struct {
		err  error
		kind EventKind
		rule Rule
	}{
		{nil, EventSent, ""},
		{&LimitError{Rule: RulePrefixSends}, EventSendRefused, RulePrefixSends},
		{&SendError{Failovers: []error{otpkit.ErrServer}}, EventSendFailed, ""},
		{&otpkit.ValidationError{Field: "To", Reason: "x"}, EventSendFailed, ""},
	} {
		rec.events = nil
		g.finishSend(ctx, Event{Channel: otpkit.ChannelSMS, Region: "DE"}, c.err)
		require.Len(t, rec.events, 1)
		assert.Equal(t, c.kind, rec.events[0].Kind, "%v", c.err)
		assert.Equal(t, c.rule, rec.events[0].Rule)
		assert.Equal(t, "DE", rec.events[0].Region)
		assert.Equal(t, OpSend, rec.events[0].Op)
	}
}

func TestObserversFanOut(t *testing.T) {
	a, b, c := &recorder{}, &spanRecorder{}, &spanRecorder{}
	o := Observers(a, nil, b, c)
	s, ok := o.(SpanObserver)
	require.True(t, ok, "a SpanObserver among them makes one")
	g := observedGuard(t, o)
	ctx := g.start(context.Background(), OpSend)
	g.emit(ctx, Event{Kind: EventFailover})
	g.finishSend(ctx, Event{}, nil)
	assert.Equal(t, []string{"observe failover in send", "observe sent in send"}, a.log)
	assert.Equal(t, []string{"start send", "observe failover in send", "observe sent in send", "end sent in send"}, b.log)
	assert.Equal(t, b.log, c.log)
	assert.NotNil(t, s)

	_, ok = Observers(&recorder{}, &recorder{}).(SpanObserver)
	assert.False(t, ok, "plain observers make a plain one")
}

func TestNoObserverCostsNothing(t *testing.T) {
	g, err := NewGuard(NewMemoryStore())
	require.NoError(t, err)
	require.False(t, g.observing())
	ctx := context.Background()
	fail := errors.New("provider down")
	allocs := testing.AllocsPerRun(100, func() {
		t0 := g.stopwatch()
		c := g.start(ctx, OpCheck)
		g.emit(c, Event{Kind: EventFailover, Provider: otpkit.ProviderTryvox, Latency: lap(t0), Err: fail})
		g.finishCheck(c, Event{Provider: otpkit.ProviderTryvox, Latency: lap(t0)}, fail)
		g.finishSend(c, Event{Provider: otpkit.ProviderTryvox}, fail)
		g.finish(c, Event{Kind: EventVerified})
		if c != ctx || !t0.IsZero() || lap(t0) != 0 {
			panic("no observer changed something")
		}
	})
	assert.Zero(t, allocs)
}

func TestLapIsNeverZeroForACall(t *testing.T) {
	g := observedGuard(t, &recorder{})
	t0 := g.stopwatch()
	require.False(t, t0.IsZero())
	assert.Positive(t, lap(t0))
	assert.Positive(t, lap(time.Now().Add(time.Hour)), "a clock step back still reports a call")
	assert.Zero(t, lap(time.Time{}))
}
