package otpkit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
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
func reuseCalls(c *otpkit.Client, srv *mock.Server, worker, n int) error {
	ctx := context.Background()
	var tryvoxID, ddID, loxID string
	for i := range n {
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

	require.NoError(t, reuseCalls(c, srv, 0, 1000))

	assert.Equal(t, 1, srv.Connections(), "1,000 sequential calls, successes and errors of all three providers")
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

	require.NoError(t, reuseCalls(c, srv, 0, 200))

	assert.Equal(t, 1, srv.Connections())
}

// Goroutines sharing a Client share its pool. First 8 calls are held in
// flight together (a delay fault), which opens 8 connections; after that,
// 1,000 calls from 8 goroutines open none: one of the 8 is always idle,
// since a connection goes back to the pool before its caller has read the
// end of the body. A pool of 2 idle connections a host (net/http's
// default) would close and reopen connections here.
func TestConcurrentCallsShareThePool(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	const workers = 8

	srv.InjectFault("GET /v1/verify/{id}", mock.Fault{Delay: 500 * time.Millisecond, Count: workers})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { _, _ = c.GetStatus(context.Background(), "ver_warmup") })
	}
	wg.Wait()
	require.Equal(t, workers, srv.Connections(), "%d calls held in flight together", workers)

	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() { errs[w] = reuseCalls(c, srv, w+1, 1000/workers) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))

	assert.Equal(t, workers, srv.Connections(), "1,000 calls from %d goroutines", workers)
	assert.Len(t, srv.Requests(), workers+1000)
}
