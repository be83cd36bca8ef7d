package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeBlock returns the first ```bash block of the repository's README
// after the line that contains marker.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(readme), marker)
	require.True(t, ok, "README.md no longer says %q", marker)
	m := regexp.MustCompile("(?s)```bash\n(.*?)```").FindStringSubmatch(after)
	require.NotNil(t, m, "no bash block after %q", marker)
	return m[1]
}

// needTools skips (or, with CI=true, fails) when a command the README's
// scripts use is missing.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			msg := n + " is not installed (apt-get install " + n + "); the README's CI script needs it"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// TestREADMECIScriptRuns runs the README's CI job, verbatim, with bash, curl
// and jq: it builds the binary, starts "otpkit mock", drives the providers'
// APIs and the /_mock/ controls as the README shows, and shuts the mock
// down over /_mock/shutdown. It runs in a scratch directory, so that its
// bin/, mock.env and mock.log do not land in the checkout; the one thing
// that differs from a CI job at the repository root is where "go build"
// finds the module: a "go" first on PATH runs the real one with -C at the
// module root.
func TestREADMECIScriptRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the README's CI script")
	}
	needTools(t, "bash", "curl", "jq")
	script := readmeBlock(t, "A CI job (bash, curl and jq")
	require.Contains(t, script, "go build -o bin/otpkit ./cmd/otpkit")

	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	realGo, err := exec.LookPath("go")
	require.NoError(t, err)
	dir := t.TempDir()
	shims := filepath.Join(dir, "shims")
	require.NoError(t, os.Mkdir(shims, 0o755))
	shim := "#!/bin/sh\n" +
		"# go build -o OUT ./cmd/otpkit, run at the module root; anything else as it is.\n" +
		"if [ \"$1\" = build ] && [ \"$2\" = -o ] && [ \"$4\" = ./cmd/otpkit ] && [ $# = 4 ]; then\n" +
		"  exec " + shellQuote(realGo) + " build -C " + shellQuote(root) + " -o \"$PWD/$3\" ./cmd/otpkit\n" +
		"fi\n" +
		"exec " + shellQuote(realGo) + " \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(shims, "go"), []byte(shim), 0o755))
	work := filepath.Join(dir, "job")
	require.NoError(t, os.Mkdir(work, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(work, "ci.sh"), []byte(script), 0o755))

	cmd := exec.Command("bash", "ci.sh")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+shims+string(os.PathListSeparator)+os.Getenv("PATH"))
	done := make(chan struct{})
	var out []byte
	go func() {
		defer close(done)
		out, err = cmd.CombinedOutput()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the README's CI script did not finish in 5 minutes:\n%s", out)
	}
	require.NoError(t, err, "the README's CI script failed:\n%s", out)

	text := string(out)
	assert.Contains(t, text, `"status":"ok"`, "health and shutdown answered")
	checks := strings.Count(script, "jq -e ")
	require.Positive(t, checks)
	assert.Equal(t, checks, strings.Count(text, "true\n"), "each jq -e check printed true:\n%s", text)
	assert.Contains(t, text, "POST /v1/verify/check 200", "the request log was listed")
	assert.Contains(t, text, "stopped", "mock.log: a clean shutdown")
	for _, refused := range []string{" 403 ", " 415 "} {
		assert.NotContains(t, text, refused, "the mock refused a request of the script")
	}
}
