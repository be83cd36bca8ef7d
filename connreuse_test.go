package otpkit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// Connection reuse, counted by the mock's server. A client that made a new
// http.Client per call, left a body unread or kept too few idle connections
// would open a connection per call here. These are unit tests: counts, not
// timings.

// reuseCalls makes n calls with c against srv, cycling through every kind
// of answer the three providers give: success bodies, error bodies (400,
// 404) and dotdigital's empty 204. Call i of any goroutine uses recipient
// ids derived from worker, so that Tryvox's start rate limit never applies.
// It stops at the first call that does not answer as expected.
// Each call gets its own context from pt when pt is non-nil.
func reuseCalls(c *otpkit.Client, srv *mock.Server, worker, n int, pt *poolTrace) error {
	ctx := context.Background()
	var tryvoxID, ddID, loxID string
	for i := range n {
		if pt != nil {
			ctx = pt.context()
		}
		cycle := i / 10
		to := fmt.Sprintf("+4917%03d%06d", worker, cycle)
		var err error
		switch i % 10 {
		case 0:
			var v *otpkit.Verification
			v, err = c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to, Channel: otpkit.ChannelSMS})
			if err == nil {
				tryvoxID = v.ID
			}
		case 1:
			_, err = c.GetStatus(ctx, tryvoxID)
		case 2:
			wrong := "000000"
			if code, _ := srv.LastCode(to); code == wrong {
				wrong = "111111"
			}
			_, err = c.CheckCode(ctx, tryvoxID, wrong)
			err = want(err, otpkit.ErrInvalidCode)
		case 3:
			_, err = c.GetStatus(ctx, "ver_unknown000000000000000")
			err = want(err, otpkit.ErrNotFound)
		case 4:
			var st *otpkit.CodeStatus
			st, err = c.SendCode(ctx, &otpkit.SendCodeRequest{To: to[1:]})
			if err == nil {
				ddID = st.RequestID
			}
		case 5:
			code, _ := srv.LastCode(to)
			_, err = c.ValidateCode(ctx, ddID, code)
		case 6:
			_, err = c.ValidateCode(ctx, ddID, "123456") // verified already: 204
			err = want(err, otpkit.ErrNotFound)
		case 7:
			var vc *otpkit.VerifyCode
			vc, err = c.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: to, Code: "4821",
				RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
			if err == nil {
				loxID = vc.ID
			}
		case 8:
			_, err = c.GetVerifyCode(ctx, loxID)
		case 9:
			_, err = c.GetVerifyCode(ctx, "00000000-0000-4000-8000-000000000000")
			err = want(err, otpkit.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("worker %d, call %d: %w", worker, i, err)
		}
	}
	return nil
}

// want turns the expected error into nil and anything else into an error.
func want(err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	return fmt.Errorf("want an error matching %v, got %v", target, err)
}

func TestOneConnectionForSequentialCalls(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)

	pt := &poolTrace{}
	require.NoError(t, reuseCalls(c, srv, 0, 1000, pt))

	// One connection, plus one for each net/http dropped after a call (see
	// TestConcurrentCallsShareThePool), which a loaded machine makes rare.
	n := pt.counts()
	assert.Equal(t, n.dials, srv.Connections(), "every connection is one the transport dialed")
	assert.LessOrEqual(t, srv.Connections(), 1+n.dropped, "1,000 sequential calls, successes and errors of all three providers: %+v", n)
	assert.Zero(t, n.refused)
	assert.LessOrEqual(t, n.dropped, 1000/20, "%+v", n)
	assert.Len(t, srv.Requests(), 1000)
}

// A caller's own *http.Client (here one with the default transport, which
// keeps only 2 idle connections per host) is used as given, not replaced
// per call.
func TestOneConnectionWithTheCallersHTTPClient(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := srv.Client(otpkit.WithHTTPClient(hc))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)

	pt := &poolTrace{}
	require.NoError(t, reuseCalls(c, srv, 0, 200, pt))

	n := pt.counts()
	assert.LessOrEqual(t, srv.Connections(), 1+n.dropped, "%+v", n)
	assert.Zero(t, n.refused)
	assert.LessOrEqual(t, n.dropped, 200/20, "%+v", n)
}

// Goroutines sharing a Client share its pool. First 8 calls are held in
// flight together (a delay fault), which opens 8 connections; after that,
// 1,000 calls from 8 goroutines open none of their own: one of the 8 is
// always idle, since a connection goes back to the pool before its caller
// has read the end of the body. A pool of 2 idle connections a host
// (net/http's default) would close and reopen connections here.
//
// "None" is up to net/http's timing, which a loaded machine stretches, so
// the test counts what the transport did (an httptrace.ClientTrace on
// every call) and allows exactly the connections it explains:
//   - a dial race: a call that finds no idle connection starts a dial, and
//     when an idle one comes back first it takes that one, while the
//     dialed connection still joins the pool (one more connection);
//   - a dropped connection: after reading a response, net/http waits only
//     50 ms for its own write goroutine to confirm the request was written,
//     and closes the connection instead of pooling it when that goroutine
//     was not scheduled in time; the next call short of a connection dials.
//
// Only these may add a connection, drops stay rare (a client that left
// bodies unread would drop one a call), and the pool never turns one away.
func TestConcurrentCallsShareThePool(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	const workers, calls = 8, 1000

	srv.InjectFault("GET /v1/verify/{id}", mock.Fault{Delay: 500 * time.Millisecond, Count: workers})
	warm := &poolTrace{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { _, _ = c.GetStatus(warm.context(), "ver_warmup") })
	}
	wg.Wait()
	wc := warm.counts()
	require.Equal(t, workers, wc.dials, "%d calls held in flight together dial one connection each", workers)
	require.Equal(t, workers+wc.raced, srv.Connections(), "%d calls held in flight together", workers)

	before := srv.Connections()
	pt := &poolTrace{}
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() { errs[w] = reuseCalls(c, srv, w+1, calls/workers, pt) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	assert.Len(t, srv.Requests(), workers+calls)

	n := pt.counts()
	require.Equal(t, calls, n.calls)
	assert.Equal(t, n.dials, srv.Connections()-before, "every new connection is one the transport dialed")
	assert.Zero(t, n.refused, "the pool never turned a connection away (too few idle connections a host)")
	assert.LessOrEqual(t, n.dials, n.raced+n.dropped,
		"%d calls from %d goroutines dial only to replace a dropped connection or in a dial race: %+v", calls, workers, n)
	assert.LessOrEqual(t, n.dropped, calls/20, "net/http drops a connection after a call only rarely: %+v", n)
	t.Logf("%d connections for %d calls: %+v", srv.Connections(), workers+calls, n)
}

// poolTrace records, through an httptrace.ClientTrace on each call's
// context, what the transport did with that call's connection.
type poolTrace struct {
	mu    sync.Mutex
	calls []*connTrace
}

type connTrace struct {
	dialed   atomic.Bool // the call started a dial (ConnectStart, on the dial's goroutine)
	reused   atomic.Bool // it got a connection that had served a request before
	returned atomic.Bool // afterwards the connection went back to the pool
	refused  atomic.Bool // the pool refused it (PutIdleConn error)
}

// context returns the context for one call.
func (p *poolTrace) context() context.Context {
	ct := &connTrace{}
	p.mu.Lock()
	p.calls = append(p.calls, ct)
	p.mu.Unlock()
	return httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		ConnectStart: func(string, string) { ct.dialed.Store(true) },
		GotConn:      func(i httptrace.GotConnInfo) { ct.reused.Store(i.Reused) },
		PutIdleConn: func(err error) {
			if err != nil {
				ct.refused.Store(true)
			} else {
				ct.returned.Store(true)
			}
		},
	})
}

// poolCounts: calls; those that dialed; those that dialed but got a used
// connection (a dial race); those whose connection was closed instead of
// pooled; and those whose connection the pool refused.
type poolCounts struct{ calls, dials, raced, dropped, refused int }

func (p *poolTrace) counts() poolCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := poolCounts{calls: len(p.calls)}
	for _, ct := range p.calls {
		if ct.dialed.Load() {
			n.dials++
			if ct.reused.Load() {
				n.raced++
			}
		}
		if ct.refused.Load() {
			n.refused++
		} else if !ct.returned.Load() {
			n.dropped++
		}
	}
	return n
}
