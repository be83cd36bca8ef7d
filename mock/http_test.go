package mock

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

func TestMethodNotAllowed(t *testing.T) {
	srv, _ := newTest(t)
	for _, tc := range []struct {
		method, path string
		hdr          map[string]string
		allow, body  string
	}{
		{"DELETE", "/verify_codes", lox24Auth, "GET, POST",
			`{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Method Not Allowed"}`},
		{"PUT", "/verify_codes/d7ad7539-fb8f-4dbb-a7f7-7c40babec969", lox24Auth, "GET",
			`{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Method Not Allowed"}`},
		{"GET", "/v1/verify/start", tryvoxAuth, "POST", `{"error":{"code":"METHOD_NOT_ALLOWED","message":"Method Not Allowed"}}`},
		{"PUT", "/v1/verify/check", tryvoxAuth, "POST", `{"error":{"code":"METHOD_NOT_ALLOWED","message":"Method Not Allowed"}}`},
		{"POST", "/v1/verify/ver_abc", tryvoxAuth, "GET", `{"error":{"code":"METHOD_NOT_ALLOWED","message":"Method Not Allowed"}}`},
		{"HEAD", "/v1/verify/ver_abc", tryvoxAuth, "GET", ``},
		{"GET", "/webapi/verify", ddAuth, "POST", `{"message":"Method Not Allowed"}`},
		{"POST", "/WebApi/Verify/abc/validate", ddAuth, "PUT", `{"message":"Method Not Allowed"}`},
	} {
		r := send(t, srv, tc.method, tc.path, nil, tc.hdr)
		assert.Equal(t, 405, r.Status, "%s %s", tc.method, tc.path)
		assert.Equal(t, tc.allow, r.Header.Get("Allow"), "%s %s", tc.method, tc.path)
		if tc.body != "" {
			assert.JSONEq(t, tc.body, string(r.Body), "%s %s", tc.method, tc.path)
		}
	}
}

func TestNotFoundRoutes(t *testing.T) {
	srv, _ := newTest(t)
	for _, tc := range []struct{ path, body string }{
		{"/verify_codes/a/b", `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Not Found"}`},
		{"/verify_codes/", `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Not Found"}`},
		{"/v1/verify", `{"error":{"code":"NOT_FOUND","message":"Route not found"}}`},
		{"/v1/other", `{"error":{"code":"NOT_FOUND","message":"Route not found"}}`},
		{"/v1/verify/a/b", `{"error":{"code":"NOT_FOUND","message":"Route not found"}}`},
		{"/webapi/other", `{"message":"No HTTP resource was found that matches the request URI."}`},
		{"/WebApi/Verify/abc", `{"message":"No HTTP resource was found that matches the request URI."}`},
		{"/", `{"error":"not found"}`},
		{"/verify", `{"error":"not found"}`},
	} {
		r := send(t, srv, "GET", tc.path, nil, nil)
		assert.Equal(t, 404, r.Status, tc.path)
		assert.JSONEq(t, tc.body, string(r.Body), tc.path)
	}
}

func TestBodyTooLarge(t *testing.T) {
	srv, _ := newTest(t)
	big := append([]byte(`{"to":"`), bytes.Repeat([]byte("1"), 1<<20)...)
	big = append(big, `"}`...)
	for _, tc := range []struct {
		method, path string
		hdr          map[string]string
		body         string
	}{
		{"POST", "/verify_codes", lox24Auth,
			`{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"Request body is larger than 1 MiB."}`},
		{"POST", "/v1/verify/start", tryvoxAuth, `{"error":{"code":"VALIDATION_FAILED","message":"Request body is larger than 1 MiB"}}`},
		{"POST", "/v1/verify/check", tryvoxAuth, `{"error":{"code":"VALIDATION_FAILED","message":"Request body is larger than 1 MiB"}}`},
		{"POST", "/webapi/verify", ddAuth, `[{"property":"","failureCode":"PayloadInvalid","details":"The request body is larger than 1 MiB"}]`},
		{"PUT", "/WebApi/Verify/x/validate", ddAuth, `[{"property":"","failureCode":"PayloadInvalid","details":"The request body is larger than 1 MiB"}]`},
		{"POST", "/_mock/faults", ctlJSON, `{"error":"the body is larger than 1 MiB"}`},
	} {
		r := send(t, srv, tc.method, tc.path, big, tc.hdr)
		assert.Equal(t, 413, r.Status, tc.path)
		assert.JSONEq(t, tc.body, string(r.Body), tc.path)
	}
	// Without a Content-Length the limit still holds.
	r := do(srv.Handler, "POST", "/v1/verify/start", string(big), tryvoxAuth)
	assert.Equal(t, 413, r.Status)
	rd := struct{ *strings.Reader }{strings.NewReader(string(big))}
	req := newReq("POST", "/webapi/verify", rd, ddAuth)
	req.ContentLength = -1
	assert.Equal(t, 413, serve(srv.Handler, req).Status)
	assert.Empty(t, srv.Messages())
}

func TestNoServerErrorForOddRequests(t *testing.T) {
	srv, _ := newTest(t)
	bodies := []string{"", "null", "{}", "[]", `{"to":null}`, "\x00\xff", strings.Repeat("[", 10000), `{"routing_strategy":[{},{},{}]}`}
	paths := []string{"/verify_codes", "/verify_codes/x", "/v1/verify/start", "/v1/verify/check", "/v1/verify/x",
		"/webapi/verify", "/webapi/verify/x/validate", "/_mock/faults", "/_mock/clock", "/_mock/outcomes", "/_mock/account"}
	for _, p := range paths {
		for _, b := range bodies {
			for _, m := range []string{"GET", "POST", "PUT"} {
				for _, hdr := range []map[string]string{lox24Auth, tryvoxAuth, ddAuth, nil} {
					r := do(srv.Handler, m, p, b, hdr)
					require.Less(t, r.Status, 500, "%s %s %q: %s", m, p, b, r.Body)
				}
			}
		}
	}
	for _, r := range srv.Requests() {
		require.Less(t, r.Status, 500)
	}
}

// TestRecoverTurnsPanicIntoProviderError checks the last line of defence
// itself (no request reaches it: see TestNoServerErrorForOddRequests and
// FuzzHandler).
func TestRecoverTurnsPanicIntoProviderError(t *testing.T) {
	h := NewHandler(WithClock(t0))
	rec := httptest.NewRecorder()
	sw := &statusWriter{ResponseWriter: rec}
	req := newReq("POST", "/v1/verify/start", nil, nil)
	func() {
		defer h.finish(sw, req, "/v1/verify/start", otpkit.ProviderTryvox, t0)
		panic("boom")
	}()
	assert.Equal(t, 500, rec.Code)
	assert.JSONEq(t, `{"error":{"code":"INTERNAL_ERROR","message":"Internal Server Error"}}`, rec.Body.String())
	assert.Equal(t, []Request{{Method: "POST", Path: "/v1/verify/start", Provider: otpkit.ProviderTryvox, Status: 500, Time: t0}}, h.Requests())

	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		defer h.finish(&statusWriter{ResponseWriter: httptest.NewRecorder()}, req, "/x", "", t0)
		panic(http.ErrAbortHandler)
	}, "an aborted handler stays aborted")
}
