package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"

	"github.com/otpkit/otpkit/mock"
)

// fakeTryvox answers every request with status and body.
func fakeTryvox(t *testing.T, status int, body string) map[string]string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return map[string]string{envBaseURL: srv.URL, envTryvoxKey: mock.TryvoxAPIKey, envTryvoxTen: mock.TryvoxTenantID}
}

func assertNoControls(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		assert.False(t, unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r), "control character %U in %q", r, s)
	}
}

// A provider's text cannot repaint the terminal: a failed check whose
// message draws a green "status: approved" shows no escape on stderr.
func TestProviderTextReachesTheTerminalClean(t *testing.T) {
	env := fakeTryvox(t, http.StatusBadRequest,
		`{"error":{"code":"VERIFICATION_FAILED","message":"wrong\r\u001b[2K\u001b[32mstatus: approved\u001b[0m\u009b1A\u202e`+strings.Repeat("x", 5000)+`"}}`)
	r := runCLI(t, env, "tryvox", "check", "ver_0123456789abcdefghijklmn", "123456")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "VERIFICATION_FAILED")
	assertNoControls(t, r.stderr)
	assert.Less(t, len(r.stderr), 1500, "the provider's message is cut")

	// A success whose fields carry escapes: the summary and --json.
	body := `{"id":"ver_0123456789abcdefghijklmn","to":"+49170\r\u001b[31m\u0085\u007f","channel":"sms","status":"pending\u001b[2J","attempts":0,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}`
	env = fakeTryvox(t, http.StatusOK, body)
	for _, args := range [][]string{{"tryvox", "status", "ver_0123456789abcdefghijklmn"}, {"tryvox", "status", "--json", "ver_0123456789abcdefghijklmn"}} {
		r = runCLI(t, env, args...)
		assertNoControls(t, r.stdout+r.stderr)
		assert.NotContains(t, r.stdout+r.stderr, "\u0085")
	}
}
