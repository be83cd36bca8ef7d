package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

func TestTryvoxFlow(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)
	const to = "+4917098765432"

	r := runCLI(t, env, "tryvox", "start", "--to", to, "--channel", "sms", "--code-length", "6",
		"--locale", "de", "--message", "Dein Code: {{code}}", "--app-name", "Shop", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var v otpkit.Verification
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.Equal(t, to, v.To)
	assert.Equal(t, otpkit.VerificationPending, v.Status)
	code, ok := srv.LastCode(to)
	require.True(t, ok)
	assert.Len(t, code, 6)

	// A wrong code is the provider's error: exit 1, message on stderr.
	r = runCLI(t, env, "tryvox", "check", v.ID, wrongCode(code))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "VERIFICATION_FAILED")
	assert.Empty(t, r.stdout)

	r = runCLI(t, env, "tryvox", "status", v.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "pending")
	assert.Contains(t, r.stdout, "1 of 5 used")

	r = runCLI(t, env, "tryvox", "check", "--json", v.ID, code)
	require.Equal(t, exitOK, r.code, r.stderr)
	var ok2 otpkit.Verification
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ok2))
	assert.Equal(t, otpkit.VerificationApproved, ok2.Status)

	r = runCLI(t, env, "tryvox", "status", v.ID, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var st otpkit.Verification
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	assert.Equal(t, otpkit.VerificationApproved, st.Status)
	assert.Equal(t, 2, st.Attempts)
	assert.Equal(t, 5, st.MaxAttempts)
}

func TestTryvoxExpiryAndSummary(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)
	r := runCLI(t, env, "tryvox", "start", "--to", "+4917098765432", "--channel", "voice")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "status:   pending")
	assert.Contains(t, r.stdout, "expires:  2026-04-09T10:10:00Z")

	msgs := srv.Messages()
	require.NotEmpty(t, msgs)
	id := msgs[len(msgs)-1].ID // the outbox knows which verification sent it
	assert.Contains(t, r.stdout, id)
	srv.Advance(11 * time.Minute)
	r = runCLI(t, env, "tryvox", "status", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "expired")
	code, _ := srv.LastCode("+4917098765432")
	r = runCLI(t, env, "tryvox", "check", id, code)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "NOT_FOUND")
}

func TestTryvoxErrors(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)
	r := runCLI(t, env, "tryvox", "start", "--to", "not-a-number", "--channel", "sms")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "invalid request")

	bad := mockEnvironment(srv)
	bad[envTryvoxKey] = "tvx_sk_test_revoked"
	r = runCLI(t, bad, "tryvox", "status", "ver_0123456789abcdefghijklmn")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "UNAUTHORIZED")
	assert.NotContains(t, r.stderr, "revoked")

	// A base URL nothing listens on is a network error: exit 1.
	down := mockEnvironment(srv)
	down[envBaseURL] = "http://127.0.0.1:1"
	r = runCLI(t, down, "tryvox", "start", "--to", "+4917098765432", "--channel", "sms", "--timeout", "2s")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "otpkit: tryvox POST /v1/verify/start")
}
