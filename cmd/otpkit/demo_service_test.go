package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoService(t *testing.T) {
	r := runCLI(t, nil, "demo")
	require.Equal(t, exitOK, r.code, "stderr: %s\nstdout:\n%s", r.stderr, r.stdout)
	for _, want := range []string{
		"== Service: failover from Tryvox to dotdigital after a scripted outage ==",
		"failover   otpkit.ErrServer (HTTP 503",
		"Send(+4917055500001): sent by dotdigital over sms",
		"one message in the outbox",
		": verified by dotdigital",
		"again: otpkit.ErrNotFound",
		"otpkit.ErrUnavailable, not otpkit.ErrNotSent",
		"no failover, one message",
		"== Service: one failure budget across providers (MaxFailures 3) ==",
		"at tryvox: *verify.InvalidCodeError (4 attempts left)",
		"at tryvox: *verify.InvalidCodeError (3 attempts left)",
		"failover   otpkit.ErrDeliveryFailed (HTTP 502 DELIVERY_FAILED)",
		"Send(+4917055500003): sent by dotdigital over sms",
		"at dotdigital: *verify.InvalidCodeError (4 attempts left)",
		"*verify.LimitError (rule failures",
		"no provider was asked",
	} {
		assert.Contains(t, r.stdout, want)
	}
}
