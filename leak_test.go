package otpkit_test

import (
	"bytes"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file is a small equivalent of go.uber.org/goleak (without the
// dependency): a test calls verifyNoLeaks first, and when it ends every
// goroutine it started must be gone.

// leakWait is how long a finished test's goroutines get to wind down.
const leakWait = 2 * time.Second

// goroutineInfo is one goroutine of a runtime.Stack(all) dump.
type goroutineInfo struct {
	id    uint64
	stack string // the whole block, header included
}

// allGoroutines returns every goroutine but the caller's.
func allGoroutines() []goroutineInfo {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	blocks := bytes.Split(buf, []byte("\n\n"))
	out := make([]goroutineInfo, 0, len(blocks))
	for i, b := range blocks {
		if i == 0 { // runtime.Stack puts the caller first
			continue
		}
		s := strings.TrimSpace(string(b))
		rest, ok := strings.CutPrefix(s, "goroutine ")
		if !ok {
			continue
		}
		idText, _, _ := strings.Cut(rest, " ")
		id, err := strconv.ParseUint(idText, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, goroutineInfo{id: id, stack: s})
	}
	return out
}

// topFunction is the function a goroutine is in: the first line after the
// header, without its arguments.
func (g goroutineInfo) topFunction() string {
	_, rest, _ := strings.Cut(g.stack, "\n")
	line, _, _ := strings.Cut(rest, "\n")
	if i := strings.LastIndexByte(line, '('); i > 0 {
		line = line[:i]
	}
	return line
}

// ignoredGoroutine reports the goroutines that belong to the testing
// framework or the runtime rather than to the code under test: a test
// runner waiting for its subtests, the signal handler.
func ignoredGoroutine(g goroutineInfo) bool {
	top := g.topFunction()
	switch {
	case strings.HasPrefix(top, "testing."):
		return true
	case top == "os/signal.signal_recv", top == "os/signal.loop", strings.HasPrefix(top, "runtime."):
		return true
	}
	return false
}

// newGoroutines returns the stacks of the goroutines that were not there in
// before and are not the framework's.
func newGoroutines(before map[uint64]bool) []string {
	var leaked []string
	for _, g := range allGoroutines() {
		if !before[g.id] && !ignoredGoroutine(g) {
			leaked = append(leaked, g.stack)
		}
	}
	sort.Strings(leaked)
	return leaked
}

func goroutineIDs() map[uint64]bool {
	ids := map[uint64]bool{}
	for _, g := range allGoroutines() {
		ids[g.id] = true
	}
	return ids
}

// waitForNoNewGoroutines polls until no goroutine outside before remains or
// wait ran out; closers run before every look (closing idle connections a
// late dial may have added). It returns what is left.
func waitForNoNewGoroutines(before map[uint64]bool, wait time.Duration, closers ...func()) []string {
	deadline := time.Now().Add(wait)
	for {
		for _, c := range closers {
			c()
		}
		leaked := newGoroutines(before)
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// verifyNoLeaks snapshots the goroutines now and, when t ends (after the
// cleanups registered later, such as closing test servers), fails t if a
// goroutine started since is still there after leakWait. closers run first:
// pass the CloseIdleConnections of every client and transport the test used.
// Call it first in a test that runs no parallel siblings.
func verifyNoLeaks(t testing.TB, closers ...func()) {
	t.Helper()
	before := goroutineIDs()
	t.Cleanup(func() {
		leaked := waitForNoNewGoroutines(before, leakWait, closers...)
		if len(leaked) > 0 {
			t.Errorf("%d goroutine(s) left behind:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

// TestLeakCheckerFindsALeak makes sure the checker can fail: a goroutine
// the "test" started and did not stop is reported with its stack, and is
// no longer once it ended.
func TestLeakCheckerFindsALeak(t *testing.T) {
	before := goroutineIDs()
	stop := make(chan struct{})
	done := make(chan struct{})
	go leakyWorker(stop, done)

	leaked := waitForNoNewGoroutines(before, 50*time.Millisecond)
	require.Len(t, leaked, 1)
	assert.Contains(t, leaked[0], "leakyWorker")

	close(stop)
	<-done
	assert.Empty(t, waitForNoNewGoroutines(before, leakWait))
}

func leakyWorker(stop, done chan struct{}) {
	defer close(done)
	<-stop
}

// TestLeakCheckerIgnoresTheFramework: the checker's own goroutine and the
// testing framework's are not leaks.
func TestLeakCheckerIgnoresTheFramework(t *testing.T) {
	before := goroutineIDs()
	t.Run("sub", func(t *testing.T) {
		// The parent waits in testing.(*T).Run meanwhile: not a leak.
		assert.Empty(t, newGoroutines(before), "the framework's goroutines must be ignored")
	})
}
