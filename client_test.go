package otpkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

func TestNewClientRejectsBadOptions(t *testing.T) {
	cases := map[string]otpkit.Option{
		"empty LOX24 token":       otpkit.WithLOX24Token(""),
		"LOX24 token without key": otpkit.WithLOX24Token("1234567:"),
		"LOX24 token no colon":    otpkit.WithLOX24Token("e3f3a759b6677959"),
		"LOX24 id not digits":     otpkit.WithLOX24Token("abc:e3f3a759b6677959"),
		"LOX24 token with space":  otpkit.WithLOX24Token("123:abc def"),
		"empty Tryvox key":        otpkit.WithTryvoxKey("", "acc_1"),
		"empty Tryvox tenant":     otpkit.WithTryvoxKey("tvx_sk_test_1", ""),
		"empty dotdigital user":   otpkit.WithDotdigitalAuth("", "pw"),
		"colon in user":           otpkit.WithDotdigitalAuth("a:b", "pw"),
		"empty dotdigital pw":     otpkit.WithDotdigitalAuth("user", ""),
		"relative base URL":       otpkit.WithBaseURL("/v1"),
		"ftp base URL":            otpkit.WithBaseURL("ftp://example.com"),
		"credentials in URL":      otpkit.WithBaseURL("https://user:secret@example.com"),
		"bad LOX24 URL":           otpkit.WithLOX24URL("::"),
		"bad Tryvox URL":          otpkit.WithTryvoxURL("example.com"),
		"bad dotdigital URL":      otpkit.WithDotdigitalURL(""),
		"nil HTTP client":         otpkit.WithHTTPClient(nil),
		"zero timeout":            otpkit.WithTimeout(0),
		"negative timeout":        otpkit.WithTimeout(-time.Second),
		"negative retries":        otpkit.WithRetryPolicy(otpkit.RetryPolicy{MaxRetries: -1}),
		"user agent with newline": otpkit.WithUserAgent("x\r\nX-Evil: 1"),
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := otpkit.NewClient(opt)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestMissingCredentialsFailBeforeAnyRequest(t *testing.T) {
	var calls atomic.Int32
	srv := newCountingServer(t, &calls, http.StatusOK, `{}`)
	c, err := otpkit.NewClient(otpkit.WithBaseURL(srv))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.CreateVerifyCode(ctx, validCreate())
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.GetVerifyCode(ctx, "d7ad7539-fb8f-4dbb-a7f7-7c40babec969")
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.ListVerifyCodes(ctx, nil)
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.GetStatus(ctx, "ver_abc123")
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.CheckCode(ctx, "ver_abc123", "123456")
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.ValidateCode(ctx, "0d5c94d4-df1f-4fc8-82d2-1f64ea548704", "123456")
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	assert.Zero(t, calls.Load(), "no request may be sent without credentials")
}

func newCountingServer(t *testing.T, calls *atomic.Int32, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, status, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestGetRetriesThroughTwo503s(t *testing.T) {
	c, mux, _ := setup(t)
	var n atomic.Int32
	mux.HandleFunc("GET /verify_codes/{id}", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			writeJSON(w, http.StatusServiceUnavailable, `{"title":"An error occurred","detail":"System error"}`)
			return
		}
		writeJSON(w, http.StatusOK, seedVerifyCode)
	})
	vc, err := c.GetVerifyCode(context.Background(), "d7ad7539-fb8f-4dbb-a7f7-7c40babec969")
	require.NoError(t, err)
	assert.Equal(t, "d7ad7539-fb8f-4dbb-a7f7-7c40babec969", vc.ID)
	assert.EqualValues(t, 3, n.Load())
}

func TestGetRetriesRetryableStatusesOnly(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c, mux, _ := setup(t)
			var n atomic.Int32
			mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				writeJSON(w, status, `{"error":{"code":"INTERNAL_ERROR","message":"boom"}}`)
			})
			_, err := c.GetStatus(context.Background(), "ver_1")
			require.Error(t, err)
			assert.EqualValues(t, 4, n.Load(), "1 attempt + 3 retries")
			var apiErr *otpkit.APIError
			require.ErrorAs(t, err, &apiErr, "the provider's last answer, not a generic error")
			assert.Equal(t, status, apiErr.StatusCode)
			assert.NotContains(t, err.Error(), "giving up")
		})
	}
	for _, status := range []int{400, 401, 403, 404, 422} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c, mux, _ := setup(t)
			var n atomic.Int32
			mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				writeJSON(w, status, `{"error":{"code":"X","message":"no"}}`)
			})
			_, err := c.GetStatus(context.Background(), "ver_1")
			require.Error(t, err)
			assert.EqualValues(t, 1, n.Load())
		})
	}
}

func TestWritesAreNeverRetriedAfterAnHTTPStatus(t *testing.T) {
	c, mux, _ := setup(t)
	var creates, starts, checks, sends, validates atomic.Int32
	fail := func(n *atomic.Int32) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			writeJSON(w, http.StatusServiceUnavailable, `{}`)
		}
	}
	mux.HandleFunc("POST /verify_codes", fail(&creates))
	mux.HandleFunc("POST /v1/verify/start", fail(&starts))
	mux.HandleFunc("POST /v1/verify/check", fail(&checks))
	mux.HandleFunc("POST /webapi/verify", fail(&sends))
	mux.HandleFunc("PUT /WebApi/Verify/{id}/validate", fail(&validates))
	ctx := context.Background()

	_, err := c.CreateVerifyCode(ctx, validCreate())
	assert.ErrorIs(t, err, otpkit.ErrServer)
	_, err = c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	assert.ErrorIs(t, err, otpkit.ErrServer)
	_, err = c.CheckCode(ctx, "ver_1", "123456")
	assert.ErrorIs(t, err, otpkit.ErrServer)
	_, err = c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	assert.ErrorIs(t, err, otpkit.ErrServer)
	_, err = c.ValidateCode(ctx, "0d5c94d4-df1f-4fc8-82d2-1f64ea548704", "123456")
	assert.ErrorIs(t, err, otpkit.ErrServer)
	for name, n := range map[string]*atomic.Int32{"create": &creates, "start": &starts, "check": &checks, "send": &sends, "validate": &validates} {
		assert.EqualValues(t, 1, n.Load(), "%s must be sent exactly once", name)
	}
}

// refusingDialer refuses the first n dials the way a closed port does.
type refusingDialer struct {
	refuse atomic.Int32
	dials  atomic.Int32
}

func (d *refusingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	if d.refuse.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func TestCreateIsRetriedWhenTheDialIsRefused(t *testing.T) {
	d := &refusingDialer{}
	d.refuse.Store(1)
	c, mux, _ := setup(t, otpkit.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: d.DialContext}}))
	var creates atomic.Int32
	mux.HandleFunc("POST /verify_codes", func(w http.ResponseWriter, r *http.Request) {
		creates.Add(1)
		writeJSON(w, http.StatusCreated, seedVerifyCode)
	})
	vc, err := c.CreateVerifyCode(context.Background(), validCreate())
	require.NoError(t, err)
	assert.Equal(t, otpkit.VerifyCodeSuccess, vc.Status)
	assert.EqualValues(t, 2, d.dials.Load())
	assert.EqualValues(t, 1, creates.Load())
}

func TestWriteIsNotRetriedWhenTheConnectionDropsAfterSending(t *testing.T) {
	c, mux, _ := setup(t)
	var n atomic.Int32
	mux.HandleFunc("POST /v1/verify/check", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		require.NoError(t, err)
		conn.Close()
	})
	_, err := c.CheckCode(context.Background(), "ver_1", "123456")
	require.Error(t, err)
	assert.EqualValues(t, 1, n.Load())
	assert.NotContains(t, err.Error(), testTryvoxKey)
}

func TestRetryAfterIsHonouredUpToTheCap(t *testing.T) {
	t.Run("1 second is waited", func(t *testing.T) {
		c, mux, _ := setup(t)
		var n atomic.Int32
		mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"RATE_LIMITED","message":"slow down"}}`)
				return
			}
			writeJSON(w, http.StatusOK, `{"data":{"verification_id":"ver_1","status":"pending"}}`)
		})
		start := time.Now()
		v, err := c.GetStatus(context.Background(), "ver_1")
		require.NoError(t, err)
		assert.Equal(t, otpkit.VerificationPending, v.Status)
		assert.EqualValues(t, 2, n.Load())
		assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "Retry-After must be waited")
	})
	t.Run("an hour is not", func(t *testing.T) {
		c, mux, _ := setup(t)
		var n atomic.Int32
		mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Retry-After", "3600")
			writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"RATE_LIMITED","message":"slow down"}}`)
		})
		start := time.Now()
		_, err := c.GetStatus(context.Background(), "ver_1")
		assert.ErrorIs(t, err, otpkit.ErrRateLimited)
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, time.Hour, apiErr.RetryAfter)
		assert.EqualValues(t, 1, n.Load())
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("an HTTP date is understood", func(t *testing.T) {
		c, mux, _ := setup(t)
		mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
			writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"RATE_LIMITED","message":"slow down"}}`)
		})
		_, err := c.GetStatus(context.Background(), "ver_1")
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.InDelta(t, 2*time.Hour, apiErr.RetryAfter, float64(5*time.Second))
	})
}

func TestCancelledContextReturnsAtOnce(t *testing.T) {
	c, mux, _ := setup(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.GetStatus(ctx, "ver_1")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 3*time.Second)

	// Already cancelled: no request at all.
	_, err = c.GetStatus(ctx, "ver_1")
	assert.ErrorIs(t, err, context.Canceled)
}

func TestContextCancelStopsRetryWaits(t *testing.T) {
	c, mux, api := setup(t, otpkit.WithRetryPolicy(otpkit.RetryPolicy{MaxRetries: 5, MinWait: time.Minute, MaxWait: time.Minute}))
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, `{}`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetStatus(ctx, "ver_1")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.EqualValues(t, 1, api.calls.Load())
}

func TestTimeoutOptionBoundsACall(t *testing.T) {
	c, mux, api := setup(t, otpkit.WithTimeout(100*time.Millisecond))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux.HandleFunc("POST /v1/verify/start", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	_, err := c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 1, api.calls.Load(), "a write that timed out is not retried")
}

func TestLoggerSeesMethodHostPathStatusOnly(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mux, _ := setup(t, otpkit.WithLogger(logger))
	mux.HandleFunc("POST /v1/verify/check", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, `{"error":{"code":"VERIFICATION_FAILED","message":"Invalid verification code"}}`)
	})
	mux.HandleFunc("POST /verify_codes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnauthorized, `{"title":"An error occurred","detail":"Client ID or API key isn't active or invalid!"}`)
	})
	mux.HandleFunc("PUT /WebApi/Verify/{id}/validate", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	ctx := context.Background()
	_, err1 := c.CheckCode(ctx, "ver_1", "482913")
	_, err2 := c.CreateVerifyCode(ctx, validCreate())
	_, err3 := c.ValidateCode(ctx, "0d5c94d4-df1f-4fc8-82d2-1f64ea548704", "771234")
	for _, err := range []error{err1, err2, err3} {
		require.Error(t, err)
		assertNoSecrets(t, err.Error(), "482913", "771234", "5812")
		assertNoSecrets(t, fmt.Sprintf("%+v", err), "482913", "771234", "5812")
	}
	logs := buf.String()
	assert.Contains(t, logs, "path=/api-prefix/v1/verify/check")
	assert.Contains(t, logs, "status=400")
	assert.Contains(t, logs, "method=POST")
	assert.Contains(t, logs, "host=127.0.0.1:")
	assert.Equal(t, 3, strings.Count(logs, "\n"), "one line per call")
	assertNoSecrets(t, logs, "482913", "771234", "5812")
}

// assertNoSecrets fails when s contains a credential or one of codes.
func assertNoSecrets(t *testing.T, s string, codes ...string) {
	t.Helper()
	for _, secret := range append([]string{testLOX24Token, "e3f3a759b6677959b6ebfc0123456789", testTryvoxKey, testDDPassword, "YXBpdXNlci1hYjEyOnA0c3N3MHJkLVMzQ1JFVA"}, codes...) {
		assert.NotContains(t, s, secret)
	}
}

func TestClientFormatHidesCredentials(t *testing.T) {
	c, _, _ := setup(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		assertNoSecrets(t, out)
		assert.Contains(t, out, "lox24:true")
	}
}

func TestUserAgentAndAcceptHeaders(t *testing.T) {
	c, mux, _ := setup(t, otpkit.WithUserAgent("shop/2.1"))
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "otpkit-go/"+otpkit.Version+" shop/2.1", r.Header.Get("User-Agent"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		writeJSON(w, http.StatusOK, `{"data":{"verification_id":"ver_1","status":"pending"}}`)
	})
	_, err := c.GetStatus(context.Background(), "ver_1")
	require.NoError(t, err)
}

func TestOversizedSuccessBodyIsAnError(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /verify_codes", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("["))
		chunk := []byte(strings.Repeat(`{"id":"x"},`, 1000))
		for i := 0; i < 200; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	_, err := c.ListVerifyCodes(context.Background(), nil)
	assert.ErrorIs(t, err, otpkit.ErrServer)
	assert.Contains(t, err.Error(), "exceeds")
}

func TestNonJSONSuccessBodyIsAnError(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Maintenance</body></html>"))
	})
	_, err := c.GetStatus(context.Background(), "ver_1")
	assert.ErrorIs(t, err, otpkit.ErrServer)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Contains(t, string(apiErr.Body), "Maintenance")
}

func TestErrorsAsAndIsWorkThroughWrapping(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"error":{"code":"NOT_FOUND","message":"Verification not found"}}`)
	})
	_, err := c.GetStatus(context.Background(), "ver_gone")
	wrapped := fmt.Errorf("login: %w", err)
	assert.ErrorIs(t, wrapped, otpkit.ErrNotFound)
	assert.False(t, errors.Is(wrapped, otpkit.ErrInvalidCode))
	var apiErr *otpkit.APIError
	require.ErrorAs(t, wrapped, &apiErr)
	assert.Equal(t, otpkit.ProviderTryvox, apiErr.Provider)
	assert.Equal(t, "Verification not found", apiErr.Message)
	assert.Equal(t, "otpkit: tryvox GET /v1/verify/ver_gone: 404 NOT_FOUND: Verification not found", apiErr.Error())
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-LOX24-AUTH-TOKEN") != "" || r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		writeJSON(w, http.StatusOK, seedVerifyCode)
	}))
	t.Cleanup(other.Close)
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /verify_codes/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	})
	_, err := c.GetVerifyCode(context.Background(), "d7ad7539-fb8f-4dbb-a7f7-7c40babec969")
	assert.ErrorIs(t, err, otpkit.ErrServer)
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
	assert.Zero(t, leaked.Load(), "credentials never follow a redirect")
}

func TestFailedCallsKeepOtherConnectionsAlive(t *testing.T) {
	c, mux, api := setup(t)
	conns := &api.conns
	mux.HandleFunc("GET /v1/verify/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "ver_down" {
			writeJSON(w, http.StatusServiceUnavailable, `{}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"data":{"verification_id":"ver_1","status":"pending"}}`)
	})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		_, err := c.GetStatus(ctx, "ver_1")
		require.NoError(t, err)
		_, err = c.GetStatus(ctx, "ver_down") // retries run out
		require.ErrorIs(t, err, otpkit.ErrServer)
	}
	assert.EqualValues(t, 1, conns.Load(), "giving up must not close the pool's connections")
	c.CloseIdleConnections()
	_, err := c.GetStatus(ctx, "ver_1")
	require.NoError(t, err)
	assert.EqualValues(t, 2, conns.Load())
}
