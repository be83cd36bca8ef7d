package main

import (
	"bufio"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMockShutdownOverHTTP builds the binary, starts "otpkit mock" and
// stops it with POST /_mock/shutdown alone, as a CI job that cannot signal
// the process does: the answer arrives, then the process exits 0.
func TestMockShutdownOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it as a process")
	}
	bin := filepath.Join(t.TempDir(), "otpkit")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(bin, "mock", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	lines := make(chan string, 64)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill() // never leave the process behind
			<-exited
		}
	})

	var envText strings.Builder
	for range envNames {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "otpkit mock exited early; stderr: %s", stderr.String())
			envText.WriteString(line + "\n")
		case <-time.After(10 * time.Second):
			t.Fatalf("no environment from otpkit mock; stderr: %s", stderr.String())
		}
	}
	base := parseEnvLines(t, envText.String())[envBaseURL]

	status, body := call(t, "GET", base+"/_mock/shutdown", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status, body)
	status, body = call(t, "POST", base+"/_mock/shutdown", "", nil)
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"status":"ok"}`, body)

	select {
	case err := <-exited:
		stopped = true
		require.NoError(t, err, "stderr: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("otpkit mock still runs after /_mock/shutdown; stderr: %s", stderr.String())
	}
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
	assert.Contains(t, stderr.String(), "shutdown requested")
	assert.Contains(t, stderr.String(), "stopped")
	_, err = http.Get(base + "/_mock/health")
	assert.Error(t, err, "nothing listens any more")
}
