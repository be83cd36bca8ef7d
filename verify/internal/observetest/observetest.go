// Package observetest runs one scripted flow of verify.Service against the
// mock for the tests of observers (the slog one in verify, the
// OpenTelemetry one in verify/otelverify), so that both check what they
// report against the same run. Test support only.
package observetest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// The script's recipients and the client address every send comes from.
const (
	numberA  = "+4917011110001" // Tryvox: a wrong code, the right one, then a send refused by recipient_sends
	numberB  = "+4917011110002" // Tryvox answers 503: failover to dotdigital; verified, then checked again
	numberC  = "+4917011110003" // telegram, which only LOX24 serves: a wrong code, then the right one
	numberD  = "+4917011110004" // Tryvox: three wrong codes spend the budget; the check and a new send are refused
	clientIP = "198.51.100.23"
)

// Run is what the script did, for a test to compare an observer's output
// with.
type Run struct {
	// Sends and Checks are how many Service.Send and Service.Check calls
	// the script made: one operation each.
	Sends, Checks int
	// Secrets are what no observer output may hold: the phone numbers
	// (with and without "+"), the client's IP, every code sent and every
	// wrong code tried, the refs and the providers' ids. Leaks finds them.
	Secrets []string
}

// Leaks returns the secrets that text holds. A secret of digits only (a
// code, a number without "+") counts only as a number of its own, not
// inside a longer run of digits, where a code's six digits turn up by
// chance (a duration's nanoseconds, an example number in an error).
func (r Run) Leaks(text string) []string {
	var found []string
	for _, s := range r.Secrets {
		if strings.Trim(s, "0123456789") == "" {
			if regexp.MustCompile(`(^|[^0-9])` + s + `([^0-9]|$)`).MatchString(text) {
				found = append(found, s)
			}
		} else if strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}

// Now is the Guard's clock, which stands still during the script (the
// mock keeps its own), so that every RetryAfter is a round figure.
var Now = time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)

// Limits are the script's Guard rules: one send per recipient an hour, a
// budget of three wrong codes, the IP and prefix rules off.
var Limits = verify.Limits{RecipientSends: verify.Rate{Count: 1, Per: time.Hour}, MaxFailures: 3,
	IPSends: verify.Rate{Count: -1}, PrefixSends: verify.Rate{Count: -1}}

// Script runs the flow on a Service over Tryvox, dotdigital and LOX24 (in
// that failover order), on a Guard with Limits, obs and the clock Now, against a new mock
// whose client takes opts (e.g. an instrumented transport):
//
//	send A (sms)        sent by tryvox
//	send B (sms)        tryvox answers 503 (failover), sent by dotdigital
//	send C (telegram)   sent by lox24 (the others do not serve telegram)
//	send A again        refused: recipient_sends
//	send "+49"          failed: not a phone number
//	check A             wrong code, then the right one: verified
//	check B             verified, then again: expired
//	check C             wrong code, then the right one: verified
//	send D              sent by tryvox
//	check D             three wrong codes, then the right one: refused (failures)
//	send D again        refused: failures
//	check D "12ab"      failed: not a code
//
// Each step fails the test when the Service does not answer as above.
func Script(t testing.TB, obs verify.Observer, opts ...otpkit.Option) Run {
	t.Helper()
	ctx := context.Background()
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client(append([]otpkit.Option{otpkit.WithRetryPolicy(otpkit.RetryPolicy{})}, opts...)...)
	require.NoError(t, err)
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(Limits), verify.WithObserver(obs),
		verify.WithClock(func() time.Time { return Now }))
	require.NoError(t, err)
	svc, err := verify.New(g, verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c))
	require.NoError(t, err)

	r := Run{Secrets: []string{clientIP}}
	for _, n := range []string{numberA, numberB, numberC, numberD} {
		r.Secrets = append(r.Secrets, n, n[1:])
	}
	send := func(to string, ch otpkit.Channel) (*verify.Sent, error) {
		r.Sends++
		return svc.Send(ctx, &verify.SendRequest{To: to, Channel: ch, IP: clientIP})
	}
	sent := func(to string, ch otpkit.Channel, by otpkit.Provider) (*verify.Sent, string) {
		t.Helper()
		s, err := send(to, ch)
		require.NoError(t, err, "send to %s", to)
		require.Equal(t, by, s.Provider)
		code, ok := srv.CodeFor(s.ProviderID)
		require.True(t, ok, "the mock sent no code for %s", s.ProviderID)
		r.Secrets = append(r.Secrets, code, wrong(code), s.Ref, s.ProviderID)
		return s, code
	}
	check := func(s *verify.Sent, code string) error {
		r.Checks++
		return svc.Check(ctx, s.Ref, code)
	}

	a, codeA := sent(numberA, otpkit.ChannelSMS, otpkit.ProviderTryvox)
	srv.InjectFault("POST /v1/verify/start", mock.Fault{Status: 503})
	b, codeB := sent(numberB, otpkit.ChannelSMS, otpkit.ProviderDotdigital)
	require.Len(t, b.Failovers, 1)
	cc, codeC := sent(numberC, otpkit.ChannelTelegram, otpkit.ProviderLOX24)
	var le *verify.LimitError
	_, err = send(numberA, otpkit.ChannelSMS)
	require.ErrorAs(t, err, &le)
	require.Equal(t, verify.RuleRecipientSends, le.Rule)
	_, err = send("+49", otpkit.ChannelSMS)
	require.ErrorIs(t, err, otpkit.ErrInvalidRequest)

	require.ErrorIs(t, check(a, wrong(codeA)), otpkit.ErrInvalidCode)
	require.NoError(t, check(a, codeA))
	require.NoError(t, check(b, codeB))
	require.ErrorIs(t, check(b, codeB), otpkit.ErrNotFound)
	require.ErrorIs(t, check(cc, wrong(codeC)), otpkit.ErrInvalidCode)
	require.NoError(t, check(cc, codeC))

	d, codeD := sent(numberD, otpkit.ChannelSMS, otpkit.ProviderTryvox)
	for range 3 {
		require.ErrorIs(t, check(d, wrong(codeD)), otpkit.ErrInvalidCode)
	}
	require.ErrorAs(t, check(d, codeD), &le)
	require.Equal(t, verify.RuleFailures, le.Rule)
	_, err = send(numberD, otpkit.ChannelSMS)
	require.ErrorAs(t, err, &le)
	require.Equal(t, verify.RuleFailures, le.Rule)
	require.ErrorIs(t, check(d, "12ab"), otpkit.ErrInvalidRequest)
	return r
}

// wrong is a code of code's length that differs from it.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
