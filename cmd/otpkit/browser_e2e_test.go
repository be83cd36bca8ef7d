package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/mock"
)

// rawCall sends one request to base+path with the Host and headers given
// ("" keeps the URL's host) and returns the status and body.
func rawCall(t *testing.T, method, base, path, host, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestStandaloneMockResistsABrowser builds the binary, starts "otpkit mock"
// and sends it what a web page open in a developer's browser could: a
// text/plain, form or multipart POST to a control (415), a control request
// from another Origin (403), and requests whose Host is the page's own name
// rebound to 127.0.0.1 (403, on the controls and the providers' APIs). None
// of them changes anything. What a CI job sends (JSON, no Origin, Host
// 127.0.0.1 or localhost) works.
func TestStandaloneMockResistsABrowser(t *testing.T) {
	p := startMockProcess(t)
	base := p.env[envBaseURL]
	u, err := url.Parse(base)
	require.NoError(t, err)
	port := u.Port()
	fault := `{"route":"POST /v1/verify/start","status":503,"count":1}`

	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		status, body := rawCall(t, "POST", base, "/_mock/faults", "", fault, map[string]string{"Content-Type": ct})
		assert.Equal(t, http.StatusUnsupportedMediaType, status, "Content-Type %q: %s", ct, body)
		status, _ = rawCall(t, "POST", base, "/_mock/shutdown", "", "", map[string]string{"Content-Type": ct})
		assert.Equal(t, http.StatusUnsupportedMediaType, status, "shutdown with Content-Type %q", ct)
	}
	json := map[string]string{"Content-Type": "application/json"}
	for _, origin := range []string{"https://attacker.example", "http://attacker.example:" + port, "null"} {
		hdr := map[string]string{"Content-Type": "application/json", "Origin": origin}
		status, body := rawCall(t, "POST", base, "/_mock/faults", "", fault, hdr)
		assert.Equal(t, http.StatusForbidden, status, "Origin %q: %s", origin, body)
		status, _ = rawCall(t, "GET", base, "/_mock/messages", "", "", hdr)
		assert.Equal(t, http.StatusForbidden, status, "Origin %q", origin)
	}
	for _, host := range []string{"attacker.example:" + port, "attacker.example", "127.0.0.1.nip.example:" + port} {
		status, body := rawCall(t, "POST", base, "/_mock/faults", host, fault, json)
		assert.Equal(t, http.StatusForbidden, status, "Host %q: %s", host, body)
		status, _ = rawCall(t, "GET", base, "/_mock/messages", host, "", nil)
		assert.Equal(t, http.StatusForbidden, status, "Host %q", host)
		status, _ = rawCall(t, "POST", base, "/v1/verify/start", host, `{"to":"+4917012345678","channel":"sms"}`,
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + p.env[envTryvoxKey], "X-Tenant-ID": p.env[envTryvoxTen]})
		assert.Equal(t, http.StatusForbidden, status, "Host %q on a provider's API", host)
		status, _ = rawCall(t, "POST", base, "/_mock/shutdown", host, "", json)
		assert.Equal(t, http.StatusForbidden, status, "Host %q", host)
	}
	status, body := rawCall(t, "GET", base, "/_mock/faults", "", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `[]`, body, "no refused request injected a fault")
	status, body = rawCall(t, "GET", base, "/_mock/messages", "", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `[]`, body, "no refused request started a verification")

	// What a CI job sends: JSON, no Origin, Host 127.0.0.1 or localhost.
	for _, host := range []string{"", "localhost:" + port, "localhost"} {
		status, body = rawCall(t, "POST", base, "/_mock/faults", host, fault, json)
		assert.Equal(t, http.StatusCreated, status, "Host %q: %s", host, body)
		status, body = rawCall(t, "POST", base, "/_mock/clock", host, `{"advance":"1s"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"})
		assert.Equal(t, http.StatusOK, status, "Host %q: %s", host, body)
		status, body = rawCall(t, "DELETE", base, "/_mock/faults", host, "", json)
		assert.Equal(t, http.StatusOK, status, "Host %q: %s", host, body)
	}
	// The mock's own origin is not foreign.
	status, body = rawCall(t, "POST", base, "/_mock/reset", "", "", map[string]string{"Content-Type": "application/json", "Origin": base})
	assert.Equal(t, http.StatusOK, status, body)

	status, body = rawCall(t, "POST", base, "/_mock/shutdown", "", "", json)
	require.Equal(t, http.StatusOK, status, body)
	require.NoError(t, p.wait(10*time.Second), "stderr: %s", p.stderr.String())
	assert.Contains(t, p.stderr.String(), "POST /_mock/faults 415")
	assert.Contains(t, p.stderr.String(), "POST /_mock/faults 403")
}

// --allow-host names the mock may be reached by, as another container
// reaches it (http://mock:8080); a name with a port or a scheme is a usage
// error.
func TestStandaloneMockAllowHost(t *testing.T) {
	p := startMockProcess(t, "--allow-host", "mock", "--allow-host", "ci-runner.internal")
	base := p.env[envBaseURL]
	for host, want := range map[string]int{"mock:8080": 200, "MOCK": 200, "ci-runner.internal": 200, "other:8080": 403} {
		status, body := rawCall(t, "GET", base, "/_mock/health", host, "", nil)
		assert.Equal(t, want, status, "Host %q: %s", host, body)
	}

	for _, bad := range []string{"mock:8080", "http://mock", "", "[10.0.0.1]"} {
		r := runCLI(t, nil, "mock", "--addr", "127.0.0.1:0", "--allow-host", bad)
		assert.Equal(t, exitUsage, r.code, "--allow-host %q", bad)
		assert.Contains(t, r.stderr, "--allow-host")
	}
}

// The flag accepts exactly the names mock.WithAllowedHosts takes, so that a
// bad --allow-host is a usage error, never a panic.
func TestAllowHostFlagMatchesTheMock(t *testing.T) {
	for _, v := range []string{"mock", "Mock.Local.", "10.0.0.5", "::1", "[::1]", "[2001:db8::1]", "",
		"mock:8080", "http://mock", "mock/x", "user@mock", "mo ck", "[mock]", "[10.0.0.1]", "10.0.0.5:80", "[::1]:80"} {
		var h hostList
		flagOK := h.Set(v) == nil
		mockOK := !panics(func() { mock.NewHandler(mock.WithAllowedHosts(v)) })
		assert.Equal(t, mockOK, flagOK, "%q", v)
	}
}

func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}
