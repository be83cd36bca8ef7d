package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The otpkit binary, built once for every test that runs it as a process.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// TestMain removes the built binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// tempDirOutsideTest is a directory that outlives one test (t.TempDir
// would remove the binary after the first test that built it).
func tempDirOutsideTest() (string, error) { return os.MkdirTemp("", "otpkit-test-") }

// otpkitBinary builds the command once and returns its path; tests that
// need a process skip in -short mode.
func otpkitBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs it as a process")
	}
	built.once.Do(func() {
		built.dir, built.err = tempDirOutsideTest()
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "otpkit")
		built.out, built.err = exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
	})
	require.NoError(t, built.err, "go build: %s", built.out)
	return built.path
}

// mockProcess is "otpkit mock" running as a process, as a CI job starts it.
type mockProcess struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	env    map[string]string // the lines it printed first
	exited chan error
	done   bool
	err    error
}

// startMockProcess starts "otpkit mock --addr 127.0.0.1:0 args...", reads
// the environment lines it prints first, and kills it at the end of the
// test unless it already exited.
func startMockProcess(t *testing.T, args ...string) *mockProcess {
	t.Helper()
	bin := otpkitBinary(t)
	p := &mockProcess{
		cmd:    exec.Command(bin, append([]string{"mock", "--addr", "127.0.0.1:0"}, args...)...),
		stderr: &syncBuffer{},
		exited: make(chan error, 1),
	}
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())

	// One goroutine owns stdout and then waits for the process, in the
	// order os/exec asks for: every read from the pipe before Wait.
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if !p.done {
			_ = p.cmd.Process.Kill() // never leave the process behind
			_ = p.wait(10 * time.Second)
		}
	})

	var envText strings.Builder
	for range envNames {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "otpkit mock exited early; stderr: %s", p.stderr.String())
			envText.WriteString(line + "\n")
		case <-time.After(10 * time.Second):
			t.Fatalf("no environment from otpkit mock; stderr: %s", p.stderr.String())
		}
	}
	p.env = parseEnvLines(t, envText.String())
	return p
}

// errNoExit stands for an exit that did not come in time.
var errNoExit = errors.New("otpkit mock did not exit in time")

// wait returns the process's exit error, waiting at most d the first time.
func (p *mockProcess) wait(d time.Duration) error {
	if !p.done {
		select {
		case p.err = <-p.exited:
			p.done = true
		case <-time.After(d):
			return errNoExit
		}
	}
	return p.err
}
