package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
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
		// What the Guards' observer counted in these two sections: the
		// first section's failover, dotdigital's verified code and
		// Tryvox's timed-out send; the second's failover, two sends, no
		// verified code and two refusals.
		"== Service: what an observer counted (verify.WithObserver) ==\n" +
			"             provider     sent  failed  failovers  verified  conversion\n" +
			"             dotdigital      2       0          0         1        50 %\n" +
			"             tryvox          1       1          2         0         0 %\n" +
			"             refusals by rule: failures 2\n",
	} {
		assert.Contains(t, r.stdout, want)
	}
}

func TestDemoCountsTable(t *testing.T) {
	c := newDemoCounts()
	ctx := context.Background()
	for _, e := range []verify.Event{
		{Kind: verify.EventFailover, Provider: otpkit.ProviderTryvox},
		{Kind: verify.EventSent, Provider: otpkit.ProviderLOX24},
		{Kind: verify.EventSent, Provider: otpkit.ProviderLOX24},
		{Kind: verify.EventSent, Provider: otpkit.ProviderLOX24},
		{Kind: verify.EventVerified, Provider: otpkit.ProviderLOX24},
		{Kind: verify.EventVerified, Provider: otpkit.ProviderLOX24},
		{Kind: verify.EventWrongCode, Provider: otpkit.ProviderLOX24},
		{Kind: verify.EventSendFailed}, // every provider failed over: no provider
		{Kind: verify.EventSendRefused, Rule: verify.RuleIPSends},
		{Kind: verify.EventSendRefused, Rule: verify.RuleIPSends},
		{Kind: verify.EventCheckRefused, Rule: verify.RuleFailures},
		{Kind: verify.EventExpired},
	} {
		c.Observe(ctx, e)
	}
	assert.Equal(t, []string{
		"provider     sent  failed  failovers  verified  conversion",
		"lox24           3       0          0         2        67 %",
		"tryvox          0       0          1         0           -",
		"refusals by rule: failures 1, ip_sends 2",
	}, c.table())
	assert.Equal(t, "refusals by rule: none", newDemoCounts().table()[1])
}
