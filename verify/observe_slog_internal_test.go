package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// slogLines decodes a JSON handler's output, one object per line.
func slogLines(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %q", sc.Text())
		lines = append(lines, m)
	}
	require.NoError(t, sc.Err())
	return lines
}

func TestSlogObserverWritesOneSafeLinePerEvent(t *testing.T) {
	var out bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g := observedGuard(t, NewSlogObserver(l))
	ctx := context.Background()
	leaky := leakyErrors()
	tv, dd := otpkit.ProviderTryvox, otpkit.ProviderDotdigital

	// A scripted run: each event with the error a Service would give it,
	// every error's own text holding a number, a code, a ref and an IP.
	script := []struct {
		e     Event
		level string
	}{
		{Event{Kind: EventWouldRefuse, Channel: otpkit.ChannelSMS, Region: "DE", Rule: "prefix_sends"}, "WARN"},
		{Event{Kind: EventFailover, Provider: tv, Channel: otpkit.ChannelSMS, Region: "DE", Latency: 3 * time.Millisecond, Err: leaky["provider 503"].err}, "WARN"},
		{Event{Kind: EventSent, Provider: dd, Channel: otpkit.ChannelSMS, Region: "DE", Latency: 40 * time.Millisecond}, "INFO"},
		{Event{Kind: EventSendRefused, Channel: otpkit.ChannelVoice, Region: "GB", Rule: RuleRecipientSends,
			Err: fmt.Errorf("for %s: %w", secretNumber, &LimitError{Rule: RuleRecipientSends, RetryAfter: time.Minute})}, "WARN"},
		{Event{Kind: EventSendFailed, Channel: otpkit.ChannelSMS, Err: leaky["send error"].err}, "WARN"},
		{Event{Kind: EventSendFailed, Provider: tv, Latency: time.Second, Err: leaky["transport"].err}, "WARN"},
		{Event{Kind: EventWrongCode, Provider: dd, Latency: time.Millisecond, Err: &InvalidCodeError{AttemptsLeft: 2}}, "INFO"},
		{Event{Kind: EventLocked, Provider: dd, Latency: time.Millisecond, Err: errAttemptsUsedUp}, "WARN"},
		{Event{Kind: EventExpired, Err: errRefGone}, "INFO"},
		{Event{Kind: EventCheckRefused, Provider: tv, Rule: RuleFailures, Err: &LimitError{Rule: RuleFailures}}, "WARN"},
		{Event{Kind: EventCheckFailed, Provider: tv, Latency: time.Millisecond, Err: leaky["not sent"].err}, "WARN"},
		{Event{Kind: EventStoreError, Op: OpCheck, Err: leaky["store"].err}, "ERROR"},
		{Event{Kind: EventVerified, Provider: tv, Latency: time.Millisecond}, "INFO"},
	}
	for _, s := range script {
		if s.e.Kind.Final() {
			g.finish(ctx, s.e)
		} else {
			g.emit(ctx, s.e)
		}
	}
	// An app's own call with a raw error is made safe too.
	NewSlogObserver(l).Observe(ctx, Event{Kind: EventCheckFailed, Err: errors.New("raw " + secretNumber + " " + secretIP)})

	assertNoSecret(t, out.String())
	lines := slogLines(t, &out)
	require.Len(t, lines, len(script)+1, "one line per event")
	for i, s := range script {
		line := lines[i]
		assert.Equal(t, s.level, line["level"], "%s", s.e.Kind)
		assert.Equal(t, s.e.Kind.String(), line["event"])
		assert.Contains(t, line["msg"], "verify: ")
		for k, want := range map[string]string{"provider": string(s.e.Provider), "channel": string(s.e.Channel),
			"region": s.e.Region, "rule": string(s.e.Rule)} {
			if want == "" {
				assert.NotContains(t, line, k, "an unset field is left out")
			} else {
				assert.Equal(t, want, line[k])
			}
		}
		assert.Equal(t, string(prepare(s.e).Op), line["op"], "%s", s.e.Kind)
		if s.e.Latency > 0 {
			assert.EqualValues(t, s.e.Latency, line["latency"])
		} else {
			assert.NotContains(t, line, "latency")
		}
		assert.Equal(t, s.e.Err != nil, line["err"] != nil, "%s", s.e.Kind)
	}
	assert.Equal(t, "verify: refused by rule recipient_sends; retry after 1m0s", lines[3]["err"])
	assert.Equal(t, "verify: invalid code; 2 attempts left", lines[6]["err"])
	assert.Equal(t, "verify: *errors.errorString (text withheld from events)", lines[len(script)]["err"])
}

func TestSlogObserverHonoursTheLevel(t *testing.T) {
	var out bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	o := NewSlogObserver(l)
	ctx := context.Background()
	o.Observe(ctx, Event{Kind: EventSent, Op: OpSend})
	o.Observe(ctx, Event{Kind: EventVerified, Op: OpCheck})
	o.Observe(ctx, Event{Kind: EventFailover, Op: OpSend})
	o.Observe(ctx, Event{Kind: EventStoreError})
	lines := slogLines(t, &out)
	require.Len(t, lines, 2)
	assert.Equal(t, "failover", lines[0]["event"])
	assert.Equal(t, "store_error", lines[1]["event"])
	assert.NotContains(t, lines[1], "op", "a store error outside an operation has no op")

	assert.NotNil(t, NewSlogObserver(nil), "nil is slog.Default()")
}
