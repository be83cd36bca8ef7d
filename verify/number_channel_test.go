package verify_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// The rules on the number judge each provider by the channel it would send
// on. With no Channel asked, a fixed line is refused Tryvox's sms, and is
// reached by voice through a LOX24 route that starts with voice; a country
// rule refuses every provider alike.
func TestNumberRulesJudgeEachProvidersChannel(t *testing.T) {
	ctx := context.Background()
	fixed := newPolicyNumbers(t).fixed
	srv, c := newMock(t)
	voice := verify.LOX24(c, otpkit.RoutingStep{Channel: otpkit.ChannelVoice})

	sent, err := newService(t, newGuard(t, openLimits), voice).Send(ctx, &verify.SendRequest{To: fixed.E164})
	require.NoError(t, err, "a voice route reaches a fixed line")
	assert.Equal(t, otpkit.ChannelVoice, sent.Channel)

	sent, err = newService(t, newGuard(t, openLimits), verify.Tryvox(c), voice).Send(ctx, &verify.SendRequest{To: fixed.E164})
	require.NoError(t, err)
	assert.Equal(t, otpkit.ProviderLOX24, sent.Provider, "Tryvox's sms is skipped, not failed over")
	assert.Empty(t, sent.Failovers)

	before := len(srv.Messages())
	_, err = newService(t, newGuard(t, openLimits), verify.Tryvox(c), verify.Dotdigital(c)).Send(ctx, &verify.SendRequest{To: fixed.E164})
	var le *verify.LimitError
	require.ErrorAs(t, err, &le, "no provider would send other than by sms")
	assert.Equal(t, verify.RuleNumberType, le.Rule)
	assert.Len(t, srv.Messages(), before, "nothing sent")

	blocked := openLimits
	blocked.BlockedCountries = []string{"DE"}
	_, err = newService(t, newGuard(t, blocked), verify.Tryvox(c), voice).Send(ctx, &verify.SendRequest{To: fixed.E164})
	require.ErrorAs(t, err, &le)
	assert.Equal(t, verify.RuleCountry, le.Rule, "a country refuses every channel")

	// Monitor: sent by the first provider, and reported.
	monitor := openLimits
	monitor.Monitor = true
	var refused []verify.Rule
	g := newGuard(t, monitor, verify.WithObserver(observerFunc(func(e verify.Event) {
		if e.Kind == verify.EventWouldRefuse {
			refused = append(refused, e.Rule)
		}
	})))
	sent, err = newService(t, g, verify.Tryvox(c), voice).Send(ctx, &verify.SendRequest{To: fixed.E164})
	require.NoError(t, err)
	assert.Equal(t, otpkit.ProviderTryvox, sent.Provider)
	assert.Equal(t, []verify.Rule{verify.RuleNumberType}, refused, "reported once")
}

// observerFunc is an Observer made of a function (the Service calls it
// on the caller's goroutine).
type observerFunc func(verify.Event)

func (f observerFunc) Observe(_ context.Context, e verify.Event) { f(e) }
