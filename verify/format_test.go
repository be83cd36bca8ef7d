package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// No fmt verb prints a Guard's secret or a safe-listed number, nor reaches
// a Service's internals.
func TestNoVerbPrintsSecrets(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef-the-secret")
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithSecret(secret),
		verify.WithLimits(verify.Limits{SafeList: []string{"+4915112345678"}}))
	require.NoError(t, err)
	_, c := newMock(t)
	svc := newService(t, g, verify.Tryvox(c))
	var decimal strings.Builder
	for i, b := range secret[:8] {
		if i > 0 {
			decimal.WriteByte(' ')
		}
		fmt.Fprint(&decimal, b)
	}
	for _, v := range []any{g, svc} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "the-secret", "%s", verb)
			assert.NotContains(t, out, decimal.String(), "%s: the secret's bytes", verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", secret[:8]), "%s", verb)
			assert.NotContains(t, out, "15112345678", "%s", verb)
		}
	}
}

// A SendRequest prints and logs its recipient masked ("+49…", an e-mail
// address as [REDACTED]) and its IP address as [REDACTED], with every verb
// and slog handler; the Send it makes still gives the provider the number.
func TestSendRequestHidesRecipientAndIP(t *testing.T) {
	const number, email, ip, ip6 = "+4917012345678", "ada.lovelace@example.com", "198.51.100.7", "2001:db8::7"
	personal := []string{"4917012345678", "17012345678", email, ip, ip6}
	reqs := map[string]any{
		"SendRequest":           verify.SendRequest{To: number, IP: ip, Channel: otpkit.ChannelSMS, IdempotencyKey: "k1"},
		"*SendRequest":          &verify.SendRequest{To: "+49 170 1234 5678", IP: ip6, Region: "DE"},
		"SendRequest, national": verify.SendRequest{To: "0170 12345678", Region: "DE"},
		"SendRequest, e-mail":   verify.SendRequest{To: email, IP: ip},
		"slog.Group":            slog.GroupValue(slog.Any("req", verify.SendRequest{To: number, IP: ip})),
	}
	for name, v := range reqs {
		var logs bytes.Buffer
		slog.New(slog.NewTextHandler(&logs, nil)).Info("send", "req", v)
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("send", "req", v)
		out := map[string]string{"slog": logs.String()}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out[verb] = fmt.Sprintf(verb, v)
		}
		for how, o := range out {
			for _, p := range personal {
				assert.NotContains(t, o, p, "%s as %s", name, how)
			}
		}
	}
	got := fmt.Sprintf("%+v", verify.SendRequest{To: number, IP: ip, Locale: "de", IdempotencyKey: "k1"})
	for _, want := range []string{"To:+49…", "IP:[REDACTED]", "Locale:de", "IdempotencyKey:k1"} {
		assert.Contains(t, got, want)
	}
	assert.Contains(t, fmt.Sprintf("%+v", verify.SendRequest{}), "To: ", "an empty field stays empty")

	srv, c := newMock(t)
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c))
	req := &verify.SendRequest{To: number, IP: ip}
	_, err := svc.Send(context.Background(), req)
	require.NoError(t, err)
	m, ok := srv.LastMessage(number)
	require.True(t, ok)
	assert.Equal(t, number, m.To, "the provider got the number in full")
	assert.Equal(t, number, req.To, "the fields keep their values")
}
