package otpkit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// The concurrency suite: one Client shared by many goroutines against the
// mock, under -race; and attempt counting that stays exact when many checks
// of one verification arrive at once.

// concurrentUsers is how many goroutines share the client.
const concurrentUsers = 1000

// together runs f(i) for i in [0, n) on n goroutines released at once, and
// waits for all of them.
func together(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// otherCode returns a code of the same length that is not code.
func otherCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestOneClientSharedByAThousandGoroutines(t *testing.T) {
	// A pool of 64 connections that the goroutines queue for. Without a
	// bound the burst dials a connection per waiting call (some 3,000),
	// which costs seconds under -race and tests nothing more.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 64, 64
	srv, c := mockClient(t, otpkit.WithHTTPClient(&http.Client{Transport: tr}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var done atomic.Int32
	together(concurrentUsers, func(i int) {
		// Distinct recipients: the mock allows 5 Tryvox starts per
		// recipient and hour.
		tryvoxTo := fmt.Sprintf("+4917%09d", i)
		dotdigitalTo := fmt.Sprintf("4477%08d", i)
		lox24Phone := fmt.Sprintf("+4915%08d", i)
		lox24Code := fmt.Sprintf("%06d", i)
		ok := true
		check := func(cond bool, format string, args ...any) {
			if !cond {
				ok = false
				t.Errorf("user %d: "+format, append([]any{i}, args...)...)
			}
		}

		// Tryvox: start, status, check.
		v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: tryvoxTo, Channel: otpkit.ChannelSMS})
		check(err == nil, "start: %v", err)
		if err == nil {
			check(v.Status == otpkit.VerificationPending && v.To == tryvoxTo, "start: %+v", v)
			st, err := c.GetStatus(ctx, v.ID)
			check(err == nil && st.Attempts == 0 && st.MaxAttempts == 5 && st.Status == otpkit.VerificationPending, "status: %+v %v", st, err)
			code, found := srv.LastCode(tryvoxTo)
			check(found, "no Tryvox code sent")
			got, err := c.CheckCode(ctx, v.ID, code)
			check(err == nil && got.Status == otpkit.VerificationApproved && got.ID == v.ID, "right code: %+v %v", got, err)
		}

		// dotdigital: send, validate.
		s, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: dotdigitalTo})
		check(err == nil, "send: %v", err)
		if err == nil {
			check(s.Status == otpkit.CodeNotVerified && s.PhoneNumber == dotdigitalTo, "send: %+v", s)
			code, found := srv.LastCode(dotdigitalTo)
			check(found, "no dotdigital code sent")
			got, err := c.ValidateCode(ctx, s.RequestID, code)
			check(err == nil && got.Status == otpkit.CodeVerified && got.RequestID == s.RequestID, "validate: %+v %v", got, err)
		}

		// LOX24: create, get.
		vc, err := c.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, Code: lox24Code,
			RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
		check(err == nil, "create: %v", err)
		if err == nil {
			check(vc.Phone == lox24Phone && vc.Matches(lox24Code), "create: %+v", vc)
			got, err := c.GetVerifyCode(ctx, vc.ID)
			check(err == nil && got.ID == vc.ID && got.Phone == lox24Phone && got.Matches(lox24Code), "get: %+v %v", got, err)
		}
		if ok {
			done.Add(1)
		}
	})
	assert.EqualValues(t, concurrentUsers, done.Load(), "users whose every call succeeded")

	// Nothing was sent twice and nothing got lost.
	srv.Advance(2 * time.Second) // LOX24 delivers on the mock's clock
	byProvider := map[otpkit.Provider]int{}
	for _, m := range srv.Messages() {
		byProvider[m.Provider]++
	}
	assert.Equal(t, map[otpkit.Provider]int{otpkit.ProviderTryvox: concurrentUsers, otpkit.ProviderDotdigital: concurrentUsers,
		otpkit.ProviderLOX24: concurrentUsers}, byProvider)
	assert.Len(t, srv.Requests(), 7*concurrentUsers, "one request per call: nothing retried")
	assert.Less(t, srv.Connections(), concurrentUsers/4, "the goroutines shared the pool's connections")
}

// TestConcurrentWrongTryvoxChecksCountExactly: 100 wrong codes at once on
// one verification. Exactly 4 are ErrInvalidCode, the rest ErrMaxAttempts,
// and the verification ends failed with 5 attempts.
func TestConcurrentWrongTryvoxChecksCountExactly(t *testing.T) {
	srv, c := mockClient(t)
	ctx := context.Background()
	v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	code, ok := srv.LastCode("+4917012345678")
	require.True(t, ok)

	var invalid, maxed, other atomic.Int32
	together(100, func(int) {
		_, err := c.CheckCode(ctx, v.ID, otherCode(code))
		switch {
		case errors.Is(err, otpkit.ErrInvalidCode):
			invalid.Add(1)
		case errors.Is(err, otpkit.ErrMaxAttempts):
			maxed.Add(1)
		default:
			other.Add(1)
			t.Errorf("unexpected: %v", err)
		}
	})
	assert.EqualValues(t, 4, invalid.Load())
	assert.EqualValues(t, 96, maxed.Load())
	assert.Zero(t, other.Load())

	st, err := c.GetStatus(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, 5, st.Attempts)
	assert.Equal(t, otpkit.VerificationFailed, st.Status)
	assert.Zero(t, st.RemainingAttempts())

	// The right code is too late now.
	_, err = c.CheckCode(ctx, v.ID, code)
	assert.ErrorIs(t, err, otpkit.ErrMaxAttempts)
}

// TestConcurrentRightTryvoxChecksApproveOnce: the right code sent 100 times
// at once approves once; the others find the verification used up.
func TestConcurrentRightTryvoxChecksApproveOnce(t *testing.T) {
	srv, c := mockClient(t)
	ctx := context.Background()
	v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	code, _ := srv.LastCode("+4917012345678")

	var approved, notFound atomic.Int32
	together(100, func(int) {
		got, err := c.CheckCode(ctx, v.ID, code)
		switch {
		case err == nil && got.Status == otpkit.VerificationApproved:
			approved.Add(1)
		case errors.Is(err, otpkit.ErrNotFound):
			notFound.Add(1)
		default:
			t.Errorf("unexpected: %+v %v", got, err)
		}
	})
	assert.EqualValues(t, 1, approved.Load())
	assert.EqualValues(t, 99, notFound.Load())
	st, err := c.GetStatus(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerificationApproved, st.Status)
	assert.Equal(t, 1, st.Attempts)
}

// TestConcurrentWrongDotdigitalValidationsCountExactly: 100 wrong codes at
// once on one requestId: 4 CodeNotVerified, 1 CodeLocked, and the
// discarded requestId answers the other 95 with 204 (ErrNotFound).
func TestConcurrentWrongDotdigitalValidationsCountExactly(t *testing.T) {
	srv, c := mockClient(t)
	ctx := context.Background()
	s, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	require.NoError(t, err)
	code, ok := srv.LastCode("447123123456")
	require.True(t, ok)

	var notVerified, locked, gone atomic.Int32
	together(100, func(int) {
		got, err := c.ValidateCode(ctx, s.RequestID, otherCode(code))
		switch {
		case err == nil && got.Status == otpkit.CodeNotVerified:
			notVerified.Add(1)
		case err == nil && got.Status == otpkit.CodeLocked:
			locked.Add(1)
		case errors.Is(err, otpkit.ErrNotFound):
			gone.Add(1)
		default:
			t.Errorf("unexpected: %+v %v", got, err)
		}
	})
	assert.EqualValues(t, 4, notVerified.Load())
	assert.EqualValues(t, 1, locked.Load())
	assert.EqualValues(t, 95, gone.Load())

	_, err = c.ValidateCode(ctx, s.RequestID, code)
	assert.ErrorIs(t, err, otpkit.ErrNotFound, "a locked requestId is discarded")
}

// TestConcurrentRightDotdigitalValidationsVerifyOnce: the right code sent
// 100 times at once verifies once.
func TestConcurrentRightDotdigitalValidationsVerifyOnce(t *testing.T) {
	srv, c := mockClient(t)
	ctx := context.Background()
	s, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	require.NoError(t, err)
	code, _ := srv.LastCode("447123123456")

	var verified, gone atomic.Int32
	together(100, func(int) {
		got, err := c.ValidateCode(ctx, s.RequestID, code)
		switch {
		case err == nil && got.Status == otpkit.CodeVerified:
			verified.Add(1)
			assert.NotNil(t, got.Verified)
		case errors.Is(err, otpkit.ErrNotFound):
			gone.Add(1)
		default:
			t.Errorf("unexpected: %+v %v", got, err)
		}
	})
	assert.EqualValues(t, 1, verified.Load())
	assert.EqualValues(t, 99, gone.Load())
}

// TestConcurrentStartsHitTheRateLimitExactly: 20 starts at once for one
// recipient: exactly 5 go through, 15 are ErrRateLimited, 5 messages sent.
func TestConcurrentStartsHitTheRateLimitExactly(t *testing.T) {
	srv, c := mockClient(t)
	ctx := context.Background()
	var started, limited atomic.Int32
	together(20, func(int) {
		_, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917099999999", Channel: otpkit.ChannelSMS})
		switch {
		case err == nil:
			started.Add(1)
		case errors.Is(err, otpkit.ErrRateLimited):
			limited.Add(1)
			var apiErr *otpkit.APIError
			if assert.ErrorAs(t, err, &apiErr) {
				assert.Positive(t, apiErr.RetryAfter, "the mock says when to try again")
			}
		default:
			t.Errorf("unexpected: %v", err)
		}
	})
	assert.EqualValues(t, 5, started.Load())
	assert.EqualValues(t, 15, limited.Load())
	assert.Len(t, srv.MessagesTo("+4917099999999"), 5)
}

// mockClient starts a mock and a client for it, with a leak check.
func mockClient(t *testing.T, opts ...otpkit.Option) (*mock.Server, *otpkit.Client) {
	t.Helper()
	srv := mock.NewServer()
	c, err := srv.Client(opts...)
	require.NoError(t, err)
	verifyNoLeaks(t, c.CloseIdleConnections)
	t.Cleanup(srv.Close)
	return srv, c
}
