package mock

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A /_mock/ write is refused with 415 unless it says Content-Type:
// application/json: a web page can send text/plain, a form or multipart
// cross-site without a preflight, and JSON only after one the mock never
// grants. The refused requests change nothing.
func TestControlWritesRequireJSON(t *testing.T) {
	srv, _ := newTest(t)
	for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/jsonx", "json", "application/json-patch+json", "text/json"} {
		var hdr map[string]string
		if ct != "" {
			hdr = map[string]string{"Content-Type": ct}
		}
		for _, path := range []string{"/_mock/clock", "/_mock/reset", "/_mock/shutdown", "/_mock/faults", "/_mock/outcomes"} {
			r := send(t, srv, "POST", path, []byte(`{"advance":"10m"}`), hdr)
			assert.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%s with %q", path, ct)
			assert.Contains(t, string(r.Body), "application/json", path)
		}
		r := send(t, srv, "DELETE", "/_mock/faults", nil, hdr)
		assert.Equal(t, http.StatusUnsupportedMediaType, r.Status, "DELETE with %q", ct)
	}
	assert.Equal(t, t0, srv.Now(), "no refused request moved the clock")
	select {
	case <-srv.ShutdownRequested():
		t.Fatal("a refused shutdown request was obeyed")
	default:
	}

	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		r := send(t, srv, "POST", "/_mock/clock", []byte(`{"advance":"1m"}`), map[string]string{"Content-Type": ct})
		assert.Equal(t, http.StatusOK, r.Status, "%q: %s", ct, r.Body)
	}
	assert.Equal(t, t0.Add(3*60e9), srv.Now())
	// GET needs no Content-Type; a wrong method is still 405 before 415.
	assert.Equal(t, 200, send(t, srv, "GET", "/_mock/health", nil, nil).Status)
	assert.Equal(t, 405, send(t, srv, "POST", "/_mock/health", nil, nil).Status)
}

// A /_mock/ request whose Origin is not the mock's own is 403, whatever its
// method; the mock's own origin (and no Origin, as curl sends) passes.
func TestControlsRefuseForeignOrigins(t *testing.T) {
	srv, c := newTest(t)
	v := startSMS(t, c, tvPhone)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port := u.Port()
	for _, origin := range []string{"https://attacker.example", "http://attacker.example:" + port, "null",
		"http://localhost:" + port, "https://" + u.Host, "http://" + u.Host + "/x", "http://127.0.0.1:1", "http://" + u.Host + ":1", "x"} {
		hdr := map[string]string{"Content-Type": "application/json", "Origin": origin}
		r := send(t, srv, "POST", "/_mock/reset", nil, hdr)
		assert.Equal(t, http.StatusForbidden, r.Status, "reset from %q", origin)
		r = send(t, srv, "GET", "/_mock/messages?id="+v.ID, nil, hdr)
		assert.Equal(t, http.StatusForbidden, r.Status, "messages from %q", origin)
		assert.NotContains(t, string(r.Body), v.ID)
	}
	_, ok := srv.CodeFor(v.ID)
	assert.True(t, ok, "no refused reset went through")

	r := send(t, srv, "POST", "/_mock/clock", []byte(`{"advance":"1s"}`), map[string]string{"Content-Type": "application/json", "Origin": srv.URL})
	assert.Equal(t, http.StatusOK, r.Status, "the mock's own origin: %s", r.Body)
	r = send(t, srv, "POST", "/_mock/clock", []byte(`{"advance":"1s"}`), map[string]string{"Content-Type": "application/json", "Origin": "HTTP://" + strings.ToUpper(u.Host)})
	assert.Equal(t, http.StatusOK, r.Status, "origins compare in any case: %s", r.Body)

	// The provider APIs do not look at Origin (a page cannot send their
	// credentials headers without a preflight).
	r = send(t, srv, "GET", "/v1/verify/"+v.ID, nil, map[string]string{"Authorization": tryvoxAuth["Authorization"],
		"X-Tenant-ID": TryvoxTenantID, "Origin": "https://attacker.example"})
	assert.Equal(t, http.StatusOK, r.Status)

	// A preflight gets no CORS grant.
	r = send(t, srv, "OPTIONS", "/_mock/reset", nil, map[string]string{"Origin": "https://attacker.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
	assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, r.Header.Get("Access-Control-Allow-Headers"))
}

// hostReq sends method path to srv over the network with the Host header
// host.
func hostReq(t *testing.T, srv *Server, method, path, host string) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	require.NoError(t, err)
	req.Host = host
	if method != "GET" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResp{resp.StatusCode, resp.Header, body}
}

// DNS rebinding: a request that arrived over the network answers only when
// its Host names the mock by a loopback name, by the address the connection
// arrived on, or by a name given to WithAllowedHosts; any other is 403, on
// the controls and on the providers' APIs alike.
func TestHostMustNameTheMock(t *testing.T) {
	srv, _ := newTest(t, WithAllowedHosts("mock", "Build-Agent.internal."))
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port := u.Port()
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{u.Host, true},
		{"127.0.0.1", true},
		{"127.0.0.2:" + port, true},
		{"localhost:" + port, true},
		{"LocalHost", true},
		{"localhost.:" + port, true},
		{"app.localhost:" + port, true},
		{"[::1]:" + port, true},
		{"[::ffff:127.0.0.1]:" + port, true},
		{"mock:8080", true},
		{"MOCK", true},
		{"build-agent.internal", true},
		{"attacker.example:" + port, false},
		{"attacker.example", false},
		{"localhost.attacker.example", false},
		{"127.0.0.1.attacker.example", false},
		{"mockx", false},
		{"10.0.0.1:" + port, false},
		{"192.0.2.1", false},
		{"[::2]:" + port, false},
	} {
		for _, path := range []string{"/_mock/health", "/v1/verify/ver_x"} {
			r := hostReq(t, srv, "GET", path, tc.host)
			if tc.ok {
				assert.NotEqual(t, http.StatusForbidden, r.Status, "Host %q %s", tc.host, path)
			} else {
				assert.Equal(t, http.StatusForbidden, r.Status, "Host %q %s", tc.host, path)
			}
		}
	}
	r := hostReq(t, srv, "POST", "/_mock/shutdown", "attacker.example:"+port)
	assert.Equal(t, http.StatusForbidden, r.Status)
	select {
	case <-srv.ShutdownRequested():
		t.Fatal("a shutdown for another Host was obeyed")
	default:
	}
}

// Behind a server listening on a wildcard or a non-loopback address, the
// address a connection arrived on is the mock's own (an IP literal cannot
// be rebound); another address is not. (Simulated with the server's
// context value: tests listen on loopback only.)
func TestHostMayBeTheLocalAddress(t *testing.T) {
	h := NewHandler()
	local := &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 8080}
	for host, want := range map[string]int{"192.0.2.10:8080": 200, "192.0.2.10": 200, "[::ffff:192.0.2.10]:8080": 200,
		"192.0.2.11:8080": 403, "mock:8080": 403} {
		req := httptest.NewRequest("GET", "/_mock/health", nil)
		req.Host = host
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local))
		assert.Equal(t, want, serve(h, req).Status, host)
	}
	local6 := &net.TCPAddr{IP: net.ParseIP("2001:db8::10"), Port: 8080}
	req := httptest.NewRequest("GET", "/_mock/health", nil)
	req.Host = "[2001:db8::10]:8080"
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local6))
	assert.Equal(t, 200, serve(h, req).Status)

	// Called directly, with no server between (a Go test), the Handler has
	// no address to compare and no browser to fear.
	req = httptest.NewRequest("GET", "/_mock/health", nil)
	require.Equal(t, "example.com", req.Host)
	assert.Equal(t, 200, serve(h, req).Status)
}

func TestWithAllowedHostsRefusesWhatIsNotAHost(t *testing.T) {
	for _, bad := range []string{"", "http://mock", "mock:8080", "mock/x", "user@mock", "mo ck", "[mock]", "[10.0.0.1]"} {
		assert.Panics(t, func() { NewHandler(WithAllowedHosts(bad)) }, "%q", bad)
	}
	for _, good := range []string{"mock", "Mock.Local.", "::1", "[2001:db8::1]", "10.0.0.5"} {
		assert.NotPanics(t, func() { NewHandler(WithAllowedHosts(good)) }, "%q", good)
	}
}

// FuzzGuard sends requests with arbitrary Host and Origin headers through a
// server's context: never a 5xx, and whatever is not 403 named the mock
// and came from no foreign origin.
func FuzzGuard(f *testing.F) {
	f.Add("127.0.0.1:8080", "", "POST", true)
	f.Add("attacker.example:8080", "http://attacker.example:8080", "POST", true)
	f.Add("[::1]:8080", "http://[::1]:8080", "GET", false)
	f.Add("localhost", "null", "POST", true)
	f.Add("[::1", "http://[::1", "GET", true)
	f.Add("a.localhost:1", "http://a.localhost:1", "POST", true)
	f.Fuzz(func(t *testing.T, host, origin, method string, json bool) {
		h := NewHandler(WithClock(t0))
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
		req, err := http.NewRequest("POST", "http://127.0.0.1:8080/_mock/clock", strings.NewReader(`{"advance":"1s"}`))
		require.NoError(t, err)
		req.Method = method
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if json {
			req.Header.Set("Content-Type", "application/json")
		}
		req = req.WithContext(context.WithValue(context.Background(), http.LocalAddrContextKey, local))
		r := serve(h, req)
		require.Less(t, r.Status, 500)
		if r.Status == http.StatusForbidden {
			return
		}
		name := normHost(host)
		assert.True(t, name == "localhost" || strings.HasSuffix(name, ".localhost") || isLoopbackLiteral(name),
			"answered Host %q", host)
		if origin != "" {
			// The mock trims an Origin as net/http trims a header read
			// off the wire; a Go caller's header keeps its spaces.
			o, err := url.Parse(strings.TrimSpace(origin))
			require.NoError(t, err)
			assert.Equal(t, normHost(host), normHost(o.Host), "answered Origin %q for Host %q", origin, host)
		}
		if h.Now() != t0 {
			assert.Equal(t, "POST", method)
			assert.True(t, json)
		}
	})
}

func isLoopbackLiteral(name string) bool {
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}
