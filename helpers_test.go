package otpkit_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// Test credentials. They look like real ones so a leak would be visible.
const (
	testLOX24Token = "1234567:e3f3a759b6677959b6ebfc0123456789"
	testTryvoxKey  = "tvx_sk_test_s3cr3tk3y0123456789"
	testTenant     = "acc_123"
	testDDUser     = "apiuser-ab12"
	testDDPassword = "p4ssw0rd-S3CRET"
)

// apiPrefix is where setup mounts the fake providers, so a call that
// ignored the base URL's path (an absolute path) would miss them.
const apiPrefix = "/api-prefix"

// fakeAPI is an httptest server standing in for the providers.
type fakeAPI struct {
	mux   *http.ServeMux
	srv   *httptest.Server
	calls atomic.Int32
	conns atomic.Int32 // TCP connections accepted
}

// setup starts a fake provider host and a client with all credentials,
// fast retries and the base URL pointing at it.
func setup(t *testing.T, opts ...otpkit.Option) (*otpkit.Client, *http.ServeMux, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{mux: http.NewServeMux()}
	outer := http.NewServeMux()
	outer.Handle(apiPrefix+"/", http.StripPrefix(apiPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.calls.Add(1)
		api.mux.ServeHTTP(w, r)
	})))
	outer.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base URL: %s %s", r.Method, r.URL.Path)
		http.Error(w, "outside base URL", http.StatusTeapot)
	})
	api.srv = httptest.NewUnstartedServer(outer)
	api.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			api.conns.Add(1)
		}
	}
	api.srv.Start()
	t.Cleanup(api.srv.Close)
	base := []otpkit.Option{
		otpkit.WithBaseURL(api.srv.URL + apiPrefix),
		otpkit.WithLOX24Token(testLOX24Token),
		otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
		otpkit.WithDotdigitalAuth(testDDUser, testDDPassword),
		otpkit.WithRetryPolicy(otpkit.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}),
	}
	c, err := otpkit.NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c, api.mux, api
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	assert.Equal(t, want, r.Method)
}

// testJSONBody asserts the request body is JSON equivalent to want.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.JSONEq(t, want, string(b))
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// reencode decodes raw into v and encodes it back.
func reencode[T any](t *testing.T, raw string) (T, string) {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(raw), &v))
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return v, string(out)
}

func decodeJSON(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }
