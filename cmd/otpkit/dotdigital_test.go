package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

func TestDotdigitalFlow(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)
	const to = "447700900123"

	r := runCLI(t, env, "dotdigital", "send", "--to", "+"+to, "--from", "Shop",
		"--body", "Code {{code}}, {{validMinutes}} min", "--valid-for", "5m", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var st otpkit.CodeStatus
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	assert.Equal(t, otpkit.CodeNotVerified, st.Status)
	assert.Equal(t, to, st.PhoneNumber)
	code, ok := srv.LastCode(to)
	require.True(t, ok)

	// A wrong code prints the status and exits 1, so "validate && login"
	// does the right thing.
	r = runCLI(t, env, "dotdigital", "validate", st.RequestID, wrongCode(code))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stdout, "CodeNotVerified")
	assert.Contains(t, r.stderr, "the code was not verified: CodeNotVerified")

	r = runCLI(t, env, "dotdigital", "validate", st.RequestID, code, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var ok2 otpkit.CodeStatus
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ok2))
	assert.Equal(t, otpkit.CodeVerified, ok2.Status)
	assert.NotNil(t, ok2.Verified)

	// Single use: the provider answers 204.
	r = runCLI(t, env, "dotdigital", "validate", st.RequestID, code)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "204")
}

func TestDotdigitalSummaryAndErrors(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)
	r := runCLI(t, env, "dotdigital", "send", "--to", "447700900123")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "requestId:")
	assert.Contains(t, r.stdout, "CodeNotVerified")

	r = runCLI(t, env, "dotdigital", "send", "--to", "447700900123", "--body", "no placeholder")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "invalid request")

	bad := mockEnvironment(srv)
	bad[envDDPass] = "wrong-password"
	r = runCLI(t, bad, "dotdigital", "send", "--to", "447700900123")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "401")
	assert.NotContains(t, r.stderr, "wrong-password")
}
