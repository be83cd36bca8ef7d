package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// t0 is the start of the manual clock in most tests.
var t0 = time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)

// newTest starts a server with a manual clock at t0 (plus opts) and a
// client for it without retries, so every call is one request.
func newTest(t *testing.T, opts ...Option) (*Server, *otpkit.Client) {
	t.Helper()
	srv := NewServer(append([]Option{WithClock(t0)}, opts...)...)
	t.Cleanup(srv.Close)
	c, err := srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{MaxRetries: 0}))
	require.NoError(t, err)
	return srv, c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// rawResp is an answer read in full.
type rawResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r rawResp) JSON(t *testing.T) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(r.Body, &v), "body: %s", r.Body)
	return v
}

// do sends one request straight to h (no network) with the given headers.
func do(h http.Handler, method, path, body string, hdr map[string]string) rawResp {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return serve(h, newReq(method, path, rd, hdr))
}

func newReq(method, path string, body io.Reader, hdr map[string]string) *http.Request {
	req := httptest.NewRequest(method, path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}

// serve runs req through h with a recorder.
func serve(h http.Handler, req *http.Request) rawResp {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rawResp{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// send sends one request over the network to srv.
func send(t *testing.T, srv *Server, method, path string, body []byte, hdr map[string]string) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResp{resp.StatusCode, resp.Header, b}
}

// ctlJSON is the header every /_mock/ request but GET needs.
var ctlJSON = map[string]string{"Content-Type": "application/json"}

var (
	lox24Auth  = map[string]string{"X-LOX24-AUTH-TOKEN": LOX24Token, "Content-Type": "application/json"}
	tryvoxAuth = map[string]string{"Authorization": "Bearer " + TryvoxAPIKey, "X-Tenant-ID": TryvoxTenantID, "Content-Type": "application/json"}
	ddAuth     = map[string]string{"Authorization": "Basic " + basic(DotdigitalUsername, DotdigitalPassword), "Content-Type": "application/json"}
)

func basic(u, p string) string {
	r := http.Request{Header: http.Header{}}
	r.SetBasicAuth(u, p)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}
