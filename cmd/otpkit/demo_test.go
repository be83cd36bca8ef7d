package main

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemo(t *testing.T) {
	start := time.Now()
	r := runCLI(t, nil, "demo")
	elapsed := time.Since(start)
	require.Equal(t, exitOK, r.code, "stderr: %s\nstdout:\n%s", r.stderr, r.stdout)
	assert.Empty(t, r.stderr)
	t.Logf("demo took %v", elapsed)
	assert.Less(t, elapsed, 10*time.Second) // about 0.1 s; generous for -race on a busy machine

	for _, want := range []string{
		// LOX24: fallback, history, cost, comparison.
		"== LOX24: delivery with fallback telegram → voice → sms ==",
		"telegram and voice will fail",
		"telegram Failed, voice Failed, sms Success",
		"delivered over sms, cost 0.28 EUR",
		"= false (wrong input)",
		"= true (right input)",
		// LOX24 webhooks: the events of that code, and a retry.
		"== LOX24: webhook events of that verify code ==",
		"verify_code.channel.failed   status In Progress, telegram Failed",
		"verify_code.success          status Success, attempt 2",
		"attempt 1 at +32s: 500; attempt 2 at +1m32s: 200",
		"8 events handled once each",
		"route sms → voice: otpkit.ErrInvalidRequest (client-side, nothing sent",
		"unknown id: otpkit.ErrNotFound (HTTP 404",
		"retried, 1 verify code(s), 2 requests",
		// Tryvox: approve, lock-out, expiry, errors.
		"== Tryvox: a wrong code, then the right one ==",
		"otpkit.ErrInvalidCode (HTTP 400 VERIFICATION_FAILED)",
		"pending, 1 of 5 attempts used, 4 left",
		": approved",
		"otpkit.ErrMaxAttempts (HTTP 429 MAX_ATTEMPTS_EXCEEDED)",
		"failed, 5 of 5 attempts used",
		"status     expired",
		"too late: otpkit.ErrNotFound (HTTP 404 NOT_FOUND)",
		"otpkit.ErrServer (HTTP 503", "not retried (1 request)",
		"cannot reach: otpkit.ErrDeliveryFailed (HTTP 502 DELIVERY_FAILED)",
		"with a revoked key: otpkit.ErrUnauthorized (HTTP 401 UNAUTHORIZED)",
		// dotdigital: verify, single use, lock-out, expiry.
		"== dotdigital: verify, then re-use the requestId ==",
		": CodeVerified at",
		"again (single use): otpkit.ErrNotFound (HTTP 204",
		"validate 4",
		": CodeLocked",
		": CodeExpired",
		"a body without {{code}}: otpkit.ErrInvalidRequest (client-side",
		"All flows behaved as documented.",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.Contains(t, r.stdout, "••", "codes are masked")
}

func TestDemoLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	require.Equal(t, exitOK, runCLI(t, nil, "demo").code)
	// The embedded server and the client's connections are gone once the
	// demo returns (give closing connections a moment).
	waitGoroutines(t, before)
}

func TestDemoRejectsArguments(t *testing.T) {
	assert.Equal(t, exitUsage, runCLI(t, nil, "demo", "now").code)
}

func TestMaskAndWrongCode(t *testing.T) {
	assert.Equal(t, "12••", mask("1234"))
	assert.Equal(t, "48••••", mask("481516"))
	assert.Equal(t, "••", mask("12"))
	assert.Equal(t, "6789", wrongCode("1234"))
	assert.Equal(t, "505050", wrongCode("050505"))
	for _, c := range []string{"0000", "99999999", "123456"} {
		w := wrongCode(c)
		assert.Len(t, w, len(c))
		for i := range c {
			assert.NotEqual(t, c[i], w[i])
		}
	}
}

// waitGoroutines fails the test unless at most n goroutines run within a few
// seconds (closing connections take a moment). It polls by hand: testify's
// Eventually runs its condition in a goroutine of its own.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			stacks := string(buf[:runtime.Stack(buf, true)])
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n, strings.TrimSpace(stacks))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
