package verify_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/observetest"
)

// countingObserver keeps the kinds of the events it gets.
type countingObserver struct {
	mu    sync.Mutex
	kinds []string
}

func (c *countingObserver) Observe(_ context.Context, e verify.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kinds = append(c.kinds, e.Kind.String())
}

// The slog observer through the Service's scripted run: one line per event,
// in order, at its level, and nothing of the run's numbers, IP, codes or
// refs anywhere in the output.
func TestSlogObserverThroughTheService(t *testing.T) {
	var out bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{} // not this test's subject
			case "latency":
				// Keep only that it was set (a provider call) and positive.
				return slog.Bool("latency", a.Value.Duration() > 0)
			}
			return a
		},
	}))
	events := &countingObserver{}
	run := observetest.Script(t, verify.Observers(verify.NewSlogObserver(l), events))

	type line struct {
		Level, Msg, Event, Op, Provider, Channel, Rule, Err string
		Latency                                             *bool
	}
	var lines []line
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	for sc.Scan() {
		var ln line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ln), "line %q", sc.Text())
		lines = append(lines, ln)
	}
	require.NoError(t, sc.Err())
	require.Len(t, lines, len(events.kinds), "one line per event")
	require.Len(t, lines, run.Sends+run.Checks+1, "a final event per operation and the failover")

	type want struct{ level, event, provider, rule string }
	expected := []want{
		{"INFO", "sent", "tryvox", ""},                  // A
		{"WARN", "failover", "tryvox", ""},              // B: Tryvox answers 503
		{"INFO", "sent", "dotdigital", ""},              // B
		{"INFO", "sent", "lox24", ""},                   // C (telegram)
		{"WARN", "send_refused", "", "recipient_sends"}, // A again
		{"WARN", "send_failed", "", ""},                 // "+49"
		{"INFO", "wrong_code", "tryvox", ""},            // A
		{"INFO", "verified", "tryvox", ""},              // A
		{"INFO", "verified", "dotdigital", ""},          // B
		{"INFO", "expired", "", ""},                     // B again
		{"INFO", "wrong_code", "lox24", ""},             // C
		{"INFO", "verified", "lox24", ""},               // C
		{"INFO", "sent", "tryvox", ""},                  // D
		{"INFO", "wrong_code", "tryvox", ""},            // D
		{"INFO", "wrong_code", "tryvox", ""},            // D
		{"INFO", "wrong_code", "tryvox", ""},            // D
		{"WARN", "check_refused", "tryvox", "failures"}, // D, budget spent: no call
		{"WARN", "send_refused", "", "failures"},        // D again
		{"WARN", "check_failed", "", ""},                // D "12ab"
	}
	require.Len(t, lines, len(expected))
	for i, ln := range lines {
		w := expected[i]
		assert.Equal(t, w, want{ln.Level, ln.Event, ln.Provider, ln.Rule}, "line %d", i+1)
		assert.Equal(t, events.kinds[i], ln.Event, "line %d is the observer's event %d", i+1, i+1)
		assert.Equal(t, "verify: "+map[string]string{"sent": "sent", "failover": "failover", "send_refused": "send refused",
			"send_failed": "send failed", "wrong_code": "wrong code", "verified": "verified", "expired": "expired",
			"check_refused": "check refused", "check_failed": "check failed"}[ln.Event], ln.Msg)
		// A provider call, and only one, has a latency: LOX24's checks are
		// the Guard's own.
		call := ln.Provider != "" && !(ln.Provider == "lox24" && ln.Op == "check") && ln.Event != "check_refused"
		if call {
			require.NotNil(t, ln.Latency, "line %d: %+v", i+1, ln)
			assert.True(t, *ln.Latency)
		} else {
			assert.Nil(t, ln.Latency, "line %d: %+v", i+1, ln)
		}
	}
	assert.Equal(t, "otpkit: server error (tryvox HTTP 503)", lines[1].Err)

	assert.Empty(t, run.Leaks(out.String()))
	assert.Contains(t, lines[4].Err, "retry after 1h0m0s", "the Guard's clock stands still")
}
