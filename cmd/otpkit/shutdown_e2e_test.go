package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMockShutdownOverHTTP builds the binary, starts "otpkit mock" and
// stops it with POST /_mock/shutdown alone, as a CI job that cannot signal
// the process does: the answer arrives, then the process exits 0.
func TestMockShutdownOverHTTP(t *testing.T) {
	p := startMockProcess(t)
	base := p.env[envBaseURL]

	status, body := call(t, "GET", base+"/_mock/shutdown", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status, body)
	status, body = call(t, "POST", base+"/_mock/shutdown", "", nil)
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"status":"ok"}`, body)

	require.NoError(t, p.wait(10*time.Second), "otpkit mock after /_mock/shutdown; stderr: %s", p.stderr.String())
	assert.Equal(t, 0, p.cmd.ProcessState.ExitCode())
	assert.Contains(t, p.stderr.String(), "shutdown requested")
	assert.Contains(t, p.stderr.String(), "stopped")
	_, err := http.Get(base + "/_mock/health")
	assert.Error(t, err, "nothing listens any more")
}
