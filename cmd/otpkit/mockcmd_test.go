package main

import (
	"bufio"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envNames are the variables "otpkit mock" prints, in order.
var envNames = []string{envBaseURL, envLOX24, envTryvoxKey, envTryvoxTen, envDDUser, envDDPass}

// parseEnvLines reads NAME=value lines as a shell would (values may be
// single-quoted).
func parseEnvLines(t *testing.T, text string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		name, value, ok := strings.Cut(line, "=")
		require.True(t, ok, "not NAME=value: %q", line)
		if strings.HasPrefix(value, "'") {
			value = strings.ReplaceAll(strings.Trim(value, "'"), `'\''`, "'")
		}
		env[name] = value
	}
	return env
}

func TestMockCommandInProcess(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0"}, func(string) string { return "" }, &stdout, &stderr)
	}()
	exit := -1
	stop := func() int { // what SIGINT or SIGTERM does in main
		cancel()
		if exit < 0 {
			select {
			case exit = <-done:
			case <-time.After(10 * time.Second):
				t.Error("otpkit mock did not stop")
			}
		}
		return exit
	}
	t.Cleanup(func() { stop() }) // even when an assertion below fails

	// The six lines come first, before any request is served.
	require.Eventually(t, func() bool { return strings.Count(stdout.String(), "\n") >= len(envNames) }, 5*time.Second, 5*time.Millisecond)
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, len(envNames))
	for i, name := range envNames {
		assert.True(t, strings.HasPrefix(lines[i], name+"="), "line %d: %q", i, lines[i])
	}
	env := parseEnvLines(t, stdout.String())
	assert.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*$`, env[envBaseURL])

	// The provider commands work with exactly what it printed.
	r := runCLI(t, env, "tryvox", "start", "--to", "+4917012345678", "--channel", "sms")
	require.Equal(t, exitOK, r.code, r.stderr)
	resp, err := http.Get(env[envBaseURL] + "/_mock/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(env[envBaseURL] + "/_mock/messages?to=%2B4917012345678")
	require.NoError(t, err)
	resp.Body.Close()

	require.Equal(t, exitOK, stop())
	waitGoroutines(t, goroutines) // the server's goroutines ended with it
	log := stderr.String()
	assert.Regexp(t, `POST /v1/verify/start 201|POST /v1/verify/start 200`, log)
	assert.Contains(t, log, "GET /_mock/health 200")
	assert.Contains(t, log, "GET /_mock/messages 200")
	assert.NotContains(t, log, "4917012345678", "the query (a phone number) is not logged")
	assert.Contains(t, log, "shutting down")
	for _, s := range secrets {
		assert.NotContains(t, log, s)
	}
}

func TestMockCommandAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := runCLI(t, nil, "mock", "--addr", ln.Addr().String())
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "otpkit mock: listen tcp")
	assert.Empty(t, r.stdout, "no environment for a server that is not there")
}

func TestBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:9000":   "http://127.0.0.1:9000",
		"[::]:9000":      "http://127.0.0.1:9000",
		"[::1]:9000":     "http://[::1]:9000",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		require.NoError(t, err)
		assert.Equal(t, want, baseURL(a), addr)
	}
}

func TestShellQuote(t *testing.T) {
	assert.Equal(t, "http://127.0.0.1:8080", shellQuote("http://127.0.0.1:8080"))
	assert.Equal(t, "1234567:abc", shellQuote("1234567:abc"))
	assert.Equal(t, "'a b'", shellQuote("a b"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
	assert.Equal(t, "'$HOME'", shellQuote("$HOME"))
	assert.Equal(t, "''", shellQuote(""))
}

func TestLogRequestsKeepsHijackAndStatus(t *testing.T) {
	var buf syncBuffer
	logger := log.New(&buf, "", 0)
	h := logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/drop":
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		case "/wait": // an injected delay that the client gives up on
			<-r.Context().Done()
		default:
			io.WriteString(w, "ok")
		}
	}), logger)
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, p := range []string{"/ok?to=secret", "/teapot"} {
		resp, err := http.Get(srv.URL + p)
		require.NoError(t, err)
		resp.Body.Close()
	}
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	_, err := impatient.Get(srv.URL + "/wait")
	require.Error(t, err, "the client gave up")
	require.Eventually(t, func() bool { return strings.Count(buf.String(), "\n") >= 3 }, 5*time.Second, 5*time.Millisecond)
	_, err = http.Get(srv.URL + "/drop")
	require.Error(t, err, "the connection was dropped")

	require.Eventually(t, func() bool { return strings.Count(buf.String(), "\n") >= 4 }, 5*time.Second, 5*time.Millisecond, buf.String())
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	var got []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		got = append(got, strings.Join(f[:3], " "))
	}
	// net/http retries a GET whose connection dropped: /drop may show twice.
	assert.Equal(t, []string{"GET /ok 200", "GET /teapot 418", "GET /wait -", "GET /drop -"}, got[:4])
	assert.NotContains(t, buf.String(), "secret")
}
