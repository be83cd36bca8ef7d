package verify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

var allProviders = []otpkit.Provider{otpkit.ProviderTryvox, otpkit.ProviderDotdigital, otpkit.ProviderLOX24}

func TestServiceWholeFlowEachProviderAlone(t *testing.T) {
	for _, name := range allProviders {
		t.Run(string(name), func(t *testing.T) {
			ctx := context.Background()
			srv, c := newMock(t)
			svc := newService(t, newGuard(t, verify.Limits{}), providerOf(name, c))
			before := time.Now()
			sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678", IP: "198.51.100.7"})
			require.NoError(t, err)
			assert.Equal(t, name, sent.Provider)
			assert.Equal(t, otpkit.ChannelSMS, sent.Channel, "every provider's default is sms")
			assert.Empty(t, sent.Failovers)
			assert.Len(t, sent.Ref, 22, "16 random bytes in base64url")
			assert.WithinDuration(t, before.Add(10*time.Minute), sent.ExpiresAt, 5*time.Second, "by the real clock")
			code := codeFor(t, srv, sent)
			assert.NotContains(t, sent.Ref, code)
			assert.NotContains(t, sent.Ref, "4917012345678")

			err = svc.Check(ctx, sent.Ref, wrong(code))
			require.ErrorIs(t, err, otpkit.ErrInvalidCode)
			if name != otpkit.ProviderDotdigital {
				var ice *verify.InvalidCodeError
				require.ErrorAs(t, err, &ice, "the provider says how many attempts are left")
				assert.Equal(t, 4, ice.AttemptsLeft)
			}
			require.NoError(t, svc.Check(ctx, sent.Ref, code))
			assert.ErrorIs(t, svc.Check(ctx, sent.Ref, code), otpkit.ErrNotFound, "a verified ref is used up")
		})
	}
}

func TestServiceFailoverEachPair(t *testing.T) {
	for _, first := range allProviders {
		for _, second := range allProviders {
			if first == second {
				continue
			}
			t.Run(fmt.Sprintf("%s_to_%s", first, second), func(t *testing.T) {
				ctx := context.Background()
				srv, c := newMock(t)
				const phone = "+4917012345678"
				// A failed sms at Tryvox; the scripted outcome would fail
				// LOX24's sms step too, so before LOX24 Tryvox gets a 503.
				scripted := first == otpkit.ProviderTryvox && second != otpkit.ProviderLOX24
				if scripted {
					srv.SetOutcome(phone, otpkit.ChannelSMS, mock.OutcomeFailed)
				} else {
					srv.InjectFault(sendRoute[first], mock.Fault{Status: 503})
				}
				svc := newService(t, newGuard(t, verify.Limits{}), providerOf(first, c), providerOf(second, c))
				sent, err := svc.Send(ctx, &verify.SendRequest{To: phone})
				require.NoError(t, err)
				assert.Equal(t, second, sent.Provider)
				require.Len(t, sent.Failovers, 1)
				if scripted {
					assert.ErrorIs(t, sent.Failovers[0], otpkit.ErrDeliveryFailed)
				} else {
					assert.ErrorIs(t, sent.Failovers[0], otpkit.ErrServer)
				}
				for _, m := range srv.Messages() {
					assert.Equal(t, second, m.Provider, "the first provider sent nothing")
				}
				require.NoError(t, svc.Check(ctx, sent.Ref, codeFor(t, srv, sent)))
			})
		}
	}
}

func TestServiceFailsOverOn503AtTryvoxStart(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	srv.InjectFault("POST /v1/verify/start", mock.Fault{Status: 503})
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c), verify.Dotdigital(c))
	sent, err := svc.Send(ctx, &verify.SendRequest{To: "+447400123456"})
	require.NoError(t, err)
	assert.Equal(t, otpkit.ProviderDotdigital, sent.Provider)
	require.Len(t, sent.Failovers, 1)
	assert.ErrorIs(t, sent.Failovers[0], otpkit.ErrServer)
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "447400123456", msgs[0].To, "dotdigital gets the number without +")
	code := codeFor(t, srv, sent)
	require.NoError(t, svc.Check(ctx, sent.Ref, code))
}

func TestServiceNoFailoverAfterTimeoutOnceWritten(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t, otpkit.WithTimeout(300*time.Millisecond))
	srv.InjectFault("POST /v1/verify/start", mock.Fault{AfterHandler: true, Delay: 3 * time.Second})
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c))
	sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.Error(t, err)
	assert.Nil(t, sent)
	assert.ErrorIs(t, err, otpkit.ErrUnavailable)
	assert.NotErrorIs(t, err, otpkit.ErrNotSent)
	var se *verify.SendError
	assert.False(t, errors.As(err, &se), "no failover happened")
	assert.Len(t, srv.Messages(), 1, "Tryvox sent the code; nobody sent another")
	assert.Zero(t, requestsTo(srv, otpkit.ProviderDotdigital))
	assert.Zero(t, requestsTo(srv, otpkit.ProviderLOX24))
}

func TestServiceFailsOverWhenNothingLeft(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	refused, err := srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{}), otpkit.WithTryvoxURL(refusedURL(t)))
	require.NoError(t, err)
	noCreds, err := otpkit.NewClient(otpkit.WithBaseURL(srv.URL))
	require.NoError(t, err)
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(refused), verify.Dotdigital(noCreds), verify.LOX24(c))
	sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	assert.Equal(t, otpkit.ProviderLOX24, sent.Provider)
	require.Len(t, sent.Failovers, 2)
	assert.ErrorIs(t, sent.Failovers[0], otpkit.ErrNotSent, "a refused connection sent nothing")
	assert.ErrorIs(t, sent.Failovers[1], otpkit.ErrMissingCredentials)
	require.NoError(t, svc.Check(ctx, sent.Ref, codeFor(t, srv, sent)))
}

func TestServiceEveryProviderFails(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	const phone = "+4917012345678"
	srv.SetOutcome(phone, otpkit.ChannelSMS, mock.OutcomeFailed)
	srv.InjectFault(sendRoute[otpkit.ProviderDotdigital], mock.Fault{Status: 429})
	srv.InjectFault(sendRoute[otpkit.ProviderLOX24], mock.Fault{Status: 402})
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c))
	sent, err := svc.Send(ctx, &verify.SendRequest{To: phone})
	require.Error(t, err)
	assert.Nil(t, sent)
	var se *verify.SendError
	require.ErrorAs(t, err, &se)
	assert.Len(t, se.Failovers, 3)
	assert.Nil(t, se.Err)
	assert.ErrorIs(t, err, otpkit.ErrDeliveryFailed)
	assert.ErrorIs(t, err, otpkit.ErrRateLimited)
	assert.ErrorIs(t, err, otpkit.ErrInsufficientFunds)
	assert.Empty(t, srv.Messages())
}

func TestServiceNoFailoverOnInvalidRequest(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	srv.InjectFault(sendRoute[otpkit.ProviderTryvox], mock.Fault{Status: 400})
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c), verify.Dotdigital(c))
	_, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	assert.Zero(t, requestsTo(srv, otpkit.ProviderDotdigital))
}

func TestServiceStopsAfterFailoverOnTimeout(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t, otpkit.WithTimeout(300*time.Millisecond))
	srv.InjectFault(sendRoute[otpkit.ProviderTryvox], mock.Fault{Status: 503})
	srv.InjectFault(sendRoute[otpkit.ProviderDotdigital], mock.Fault{AfterHandler: true, Delay: 3 * time.Second})
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c))
	_, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	var se *verify.SendError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Failovers, 1)
	assert.ErrorIs(t, se.Failovers[0], otpkit.ErrServer)
	assert.ErrorIs(t, err, otpkit.ErrUnavailable, "the error that stopped the send")
	assert.NotErrorIs(t, err, otpkit.ErrServer, "UI code reads the stopping error, not the failovers")
	assert.Len(t, srv.Messages(), 1)
	assert.Zero(t, requestsTo(srv, otpkit.ProviderLOX24))
}

func TestServiceChannels(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	g := newGuard(t, openLimits)

	svc := newService(t, g, verify.Dotdigital(c), verify.Tryvox(c), verify.LOX24(c))
	sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917000000001", Channel: otpkit.ChannelWhatsApp})
	require.NoError(t, err)
	assert.Equal(t, otpkit.ProviderTryvox, sent.Provider, "dotdigital serves sms only")
	assert.Equal(t, otpkit.ChannelWhatsApp, sent.Channel)
	assert.Empty(t, sent.Failovers, "skipping is not failing over")

	sent, err = svc.Send(ctx, &verify.SendRequest{To: "+4917000000002", Channel: otpkit.ChannelTelegram})
	require.NoError(t, err)
	assert.Equal(t, otpkit.ProviderLOX24, sent.Provider)
	assert.Equal(t, otpkit.ChannelTelegram, sent.Channel)
	vc, err := c.GetVerifyCode(ctx, sent.ProviderID)
	require.NoError(t, err)
	require.Len(t, vc.RoutingStrategy, 1)
	assert.Equal(t, otpkit.ChannelTelegram, vc.RoutingStrategy[0].Channel)
	assert.True(t, vc.IsCodeDeleted, "LOX24 forgets the Guard's code")

	route := verify.LOX24(c, otpkit.RoutingStep{Channel: otpkit.ChannelVoice}, otpkit.RoutingStep{Channel: otpkit.ChannelSMS})
	svc = newService(t, g, route)
	sent, err = svc.Send(ctx, &verify.SendRequest{To: "+4917000000003"})
	require.NoError(t, err)
	assert.Equal(t, otpkit.ChannelVoice, sent.Channel, "a route's first step")
	vc, err = c.GetVerifyCode(ctx, sent.ProviderID)
	require.NoError(t, err)
	assert.Len(t, vc.RoutingStrategy, 2, "the route as given")
	_, err = svc.Send(ctx, &verify.SendRequest{To: "+4917000000004", Channel: otpkit.ChannelSMS})
	var ve *otpkit.ValidationError
	require.ErrorAs(t, err, &ve, "a route serves its first step's channel only")

	svc = newService(t, g, verify.Tryvox(c))
	n := len(srv.Requests())
	_, err = svc.Send(ctx, &verify.SendRequest{To: "+4917000000005", Channel: otpkit.ChannelTelegram})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, n, len(srv.Requests()))
}

func TestServiceSendRulesRefuseBeforeAnyProvider(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	g := newGuard(t, verify.Limits{SendInterval: 30 * time.Second})
	svc := newService(t, g, verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c))
	require.NoError(t, g.AllowSend(ctx, "+4917012345678", ""), "a send a moment ago")
	_, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678", IP: "198.51.100.7"})
	var le *verify.LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, verify.RuleSendInterval, le.Rule)
	assert.Empty(t, srv.Requests(), "no provider was asked")
}

func TestServiceBadInputReachesNoProvider(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	svc := newService(t, newGuard(t, openLimits), verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c))
	var ve *otpkit.ValidationError
	for _, req := range []*verify.SendRequest{
		nil,
		{To: ""},
		{To: "4917012345678"},
		{To: "+49 170"},
		{To: "+4990012345678"}, // no such range
		{To: "0170 1234567"},   // national, without a Region
		{To: "user@example.com", Channel: otpkit.ChannelEmail},
		{To: "+4917012345678", Channel: otpkit.ChannelEmail},
		{To: "+4917012345678", Channel: "fax"},
		{To: "+4917012345678", Locale: "en\n"},
		{To: "+4917012345678", IP: "not an ip"},
	} {
		_, err := svc.Send(ctx, req)
		require.ErrorAs(t, err, &ve, "%+v", req)
		assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	}

	sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	n := len(srv.Requests())
	code := codeFor(t, srv, sent)
	for _, tc := range []struct{ ref, code string }{
		{"", code}, {sent.Ref, ""}, {sent.Ref, "12a456"}, {sent.Ref, "１２３４５６"}, {sent.Ref, "12345678901"},
		{sent.Ref, code[:5]}, {sent.Ref, code + "0"},
	} {
		err := svc.Check(ctx, tc.ref, tc.code)
		require.ErrorAs(t, err, &ve, "ref %q", tc.ref)
		assert.NotContains(t, err.Error(), code, "an error never shows the code")
	}
	altered := []byte(sent.Ref)
	altered[3] ^= 1
	for _, ref := range []string{"made-up", string(altered), sent.Ref + "A", "AAAAAAAAAAAAAAAAAAAAAA"} {
		assert.ErrorIs(t, svc.Check(ctx, ref, code), otpkit.ErrNotFound, "ref %q", ref)
	}
	assert.Equal(t, n, len(srv.Requests()), "no provider was asked")
	require.NoError(t, svc.Check(ctx, sent.Ref, code), "nothing was spent by bad input")
}

func TestServiceFailureBudgetAcrossProviders(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	const phone = "+4917012345678"
	g := newGuard(t, verify.Limits{MaxFailures: 3, SendInterval: -1})
	svc := newService(t, g, verify.Tryvox(c), verify.Dotdigital(c))

	sent, err := svc.Send(ctx, &verify.SendRequest{To: phone})
	require.NoError(t, err)
	require.Equal(t, otpkit.ProviderTryvox, sent.Provider)
	code := codeFor(t, srv, sent)
	for i := 0; i < 3; i++ {
		require.ErrorIs(t, svc.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrInvalidCode, "the 3rd is answered as the wrong code it is")
	}
	checks := len(srv.Requests())
	var le *verify.LimitError
	require.ErrorAs(t, svc.Check(ctx, sent.Ref, code), &le, "budget spent: even the right code is refused")
	assert.Equal(t, verify.RuleFailures, le.Rule)
	assert.Equal(t, checks, len(srv.Requests()), "Tryvox was not asked")

	ddOnly := newService(t, g, verify.Dotdigital(c))
	_, err = ddOnly.Send(ctx, &verify.SendRequest{To: phone})
	require.ErrorAs(t, err, &le, "no fresh start on dotdigital")
	assert.Equal(t, verify.RuleFailures, le.Rule)
	assert.Zero(t, requestsTo(srv, otpkit.ProviderDotdigital))

	require.NoError(t, g.Unlock(ctx, phone))
	sent, err = ddOnly.Send(ctx, &verify.SendRequest{To: phone})
	require.NoError(t, err)
	code = codeFor(t, srv, sent)
	require.ErrorIs(t, ddOnly.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrInvalidCode, "dotdigital's wrong codes count too")
	require.ErrorIs(t, ddOnly.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrInvalidCode)
	require.ErrorIs(t, ddOnly.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrInvalidCode)
	require.ErrorAs(t, g.AllowCheck(ctx, phone), &le)
}

func TestServiceLockAndExpiry(t *testing.T) {
	ctx := context.Background()
	for _, name := range allProviders {
		t.Run(string(name), func(t *testing.T) {
			srv, c := newMock(t)
			clock := &manualClock{now: time.Now()}
			svc := newService(t, newGuard(t, openLimits, verify.WithClock(clock.Now)), providerOf(name, c))
			sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
			require.NoError(t, err)
			code := codeFor(t, srv, sent)
			for i := 0; i < 4; i++ {
				require.ErrorIs(t, svc.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrInvalidCode)
			}
			require.ErrorIs(t, svc.Check(ctx, sent.Ref, wrong(code)), otpkit.ErrMaxAttempts, "the 5th locks")
			n := len(srv.Requests())
			require.ErrorIs(t, svc.Check(ctx, sent.Ref, code), otpkit.ErrMaxAttempts, "a locked ref stays locked")
			assert.Equal(t, n, len(srv.Requests()), "and reaches no provider")

			sent, err = svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
			require.NoError(t, err)
			code = codeFor(t, srv, sent)
			srv.Advance(11 * time.Minute)
			clock.Advance(11 * time.Minute)
			require.ErrorIs(t, svc.Check(ctx, sent.Ref, code), otpkit.ErrNotFound, "expired")
		})
	}
}

func TestServiceLOX24OlderRefDies(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	svc := newService(t, newGuard(t, openLimits), verify.LOX24(c))
	first, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	firstCode := codeFor(t, srv, first)
	second, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	secondCode := codeFor(t, srv, second)
	assert.ErrorIs(t, svc.Check(ctx, first.Ref, firstCode), otpkit.ErrNotFound)
	assert.ErrorIs(t, svc.Check(ctx, first.Ref, secondCode), otpkit.ErrNotFound, "the older ref cannot verify the newer code")
	require.NoError(t, svc.Check(ctx, second.Ref, secondCode))
}

func TestServiceOlderTryvoxRefLivesOn(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	svc := newService(t, newGuard(t, openLimits), verify.Tryvox(c))
	first, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	second, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	require.NoError(t, svc.Check(ctx, first.Ref, codeFor(t, srv, first)), "Tryvox keeps older verifications")
	require.NoError(t, svc.Check(ctx, second.Ref, codeFor(t, srv, second)))
}

func TestServiceProviderNotGivenTheGuardsClock(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	farAway := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	svc := newService(t, newGuard(t, verify.Limits{}, verify.WithClock(func() time.Time { return farAway })),
		verify.Dotdigital(c))
	before := time.Now()
	sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err, "dotdigital's validUntil comes from the real clock")
	assert.WithinDuration(t, before.Add(10*time.Minute), sent.ExpiresAt, 5*time.Second)
	require.NoError(t, svc.Check(ctx, sent.Ref, codeFor(t, srv, sent)))
}

func TestNewServiceRefuses(t *testing.T) {
	_, c := newMock(t)
	g := newGuard(t, verify.Limits{})
	var ve *otpkit.ValidationError
	for name, args := range map[string][]verify.Provider{
		"none":         nil,
		"nil provider": {nil},
		"nil client":   {verify.Tryvox(nil)},
		"twice":        {verify.Tryvox(c), verify.Dotdigital(c), verify.Tryvox(c)},
	} {
		_, err := verify.New(g, args...)
		require.ErrorAs(t, err, &ve, name)
	}
	_, err := verify.New(nil, verify.Tryvox(c))
	require.ErrorAs(t, err, &ve)
	long := newGuard(t, verify.Limits{CodeLength: 9})
	_, err = verify.New(long, verify.LOX24(c))
	require.ErrorAs(t, err, &ve, "LOX24 sends at most 8 digits")
	_, err = verify.New(long, verify.Tryvox(c))
	require.NoError(t, err)
	_, err = verify.New(g, verify.LOX24(c, otpkit.RoutingStep{Channel: otpkit.ChannelSMS}, otpkit.RoutingStep{Channel: otpkit.ChannelVoice}))
	require.ErrorAs(t, err, &ve, "LOX24 refuses sms before the last step")
	_, err = verify.New(g, verify.LOX24(c, otpkit.RoutingStep{Channel: otpkit.ChannelSMS, Template: "no placeholder"}))
	require.ErrorAs(t, err, &ve, "a template without {{code}}")
	_, err = verify.New(g, verify.LOX24(c, otpkit.RoutingStep{Channel: otpkit.ChannelTelegram, TimeoutSec: 60},
		otpkit.RoutingStep{Channel: otpkit.ChannelSMS, Template: "Code {{code}}"}))
	require.NoError(t, err)
}

func TestServicePrintsNoSecret(t *testing.T) {
	_, c := newMock(t)
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c), verify.LOX24(c))
	for _, s := range []string{fmt.Sprint(svc), fmt.Sprintf("%+v", svc), fmt.Sprintf("%#v", svc)} {
		assert.Equal(t, "verify.Service{providers: tryvox, lox24}", s)
	}
}

func TestServiceLOX24RefDiesWhenAFailedSendReplacedItsCode(t *testing.T) {
	ctx := context.Background()
	srv, c := newMock(t)
	g := newGuard(t, verify.Limits{SendInterval: -1, MaxFailures: 1})
	svc := newService(t, g, verify.LOX24(c), verify.Tryvox(c))
	first, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	firstCode := codeFor(t, srv, first)

	srv.InjectFault(sendRoute[otpkit.ProviderLOX24], mock.Fault{Status: 503})
	second, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	require.NoError(t, err)
	require.Equal(t, otpkit.ProviderTryvox, second.Provider, "LOX24 failed after the Guard issued a new code")
	assert.ErrorIs(t, svc.Check(ctx, first.Ref, firstCode), otpkit.ErrNotFound,
		"the older LOX24 code was replaced: not found, rather than a wrong code")
	require.NoError(t, svc.Check(ctx, second.Ref, codeFor(t, srv, second)), "nothing was counted against the budget of 1")
}

func TestServiceLocaleToLOX24Lang(t *testing.T) {
	ctx := context.Background()
	_, c := newMock(t)
	svc := newService(t, newGuard(t, openLimits), verify.LOX24(c))
	for locale, want := range map[string]string{"": "EN", "de-AT": "DE", "fr": "FR", "ja": "EN", "pt_BR": "PT"} {
		sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678", Locale: locale})
		require.NoError(t, err)
		vc, err := c.GetVerifyCode(ctx, sent.ProviderID)
		require.NoError(t, err)
		assert.Equal(t, want, vc.Lang, "locale %q", locale)
	}
}
