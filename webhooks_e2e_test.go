package otpkit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// app is what an app's webhook endpoint does with the events: it records
// them, and fails the first failFirst attempts of each success event.
type app struct {
	mu        sync.Mutex
	handled   []*otpkit.LOX24Event
	attempts  map[string]int
	failFirst int
}

func (a *app) handle(_ context.Context, ev *otpkit.LOX24Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ev.Name == otpkit.EventVerifyCodeSuccess {
		a.attempts[ev.ID]++
		if a.attempts[ev.ID] <= a.failFirst {
			return errors.New("database busy")
		}
	}
	a.handled = append(a.handled, ev)
	return nil
}

func (a *app) names() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, ev := range a.handled {
		n := ev.Name
		if ev.Channel != nil {
			n += " " + string(ev.Channel.Channel)
		}
		out = append(out, n)
	}
	return out
}

// newWebhookApp starts the app's endpoint (NewLOX24WebhookHandler behind
// a token) and a mock sending its LOX24 events there.
func newWebhookApp(t *testing.T, failFirst int) (*app, *mock.Server, *otpkit.Client) {
	t.Helper()
	a := &app{attempts: map[string]int{}, failFirst: failFirst}
	endpoint := httptest.NewServer(otpkit.NewLOX24WebhookHandler(a.handle, otpkit.WithWebhookToken("wh-token-7f3a")))
	t.Cleanup(endpoint.Close)
	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)),
		mock.WithLOX24Webhook(endpoint.URL+"/hooks/lox24?token=wh-token-7f3a"))
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	return a, srv, c
}

func TestWebhooksEndToEndFallback(t *testing.T) {
	a, srv, c := newWebhookApp(t, 0)
	const phone = "+4915112345678"
	srv.SetOutcome(phone, otpkit.ChannelTelegram, mock.OutcomeFailed)
	srv.SetOutcome(phone, otpkit.ChannelVoice, mock.OutcomeFailed)
	vc, err := c.CreateVerifyCode(context.Background(), &otpkit.CreateVerifyCodeRequest{Phone: phone,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram, TimeoutSec: 30}, {Channel: otpkit.ChannelVoice}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Hour)

	assert.Equal(t, []string{
		otpkit.EventVerifyCodeChannelUpdated,
		otpkit.EventVerifyCodeChannelSent + " telegram", otpkit.EventVerifyCodeChannelFailed + " telegram",
		otpkit.EventVerifyCodeChannelSent + " voice", otpkit.EventVerifyCodeChannelFailed + " voice",
		otpkit.EventVerifyCodeChannelSent + " sms", otpkit.EventVerifyCodeChannelSuccess + " sms",
		otpkit.EventVerifyCodeSuccess,
	}, a.names())

	final, err := c.GetVerifyCode(context.Background(), vc.ID)
	require.NoError(t, err)
	last := a.handled[len(a.handled)-1]
	assert.Equal(t, *final, *last.VerifyCode, "the last event agrees with GET")
	for _, d := range srv.Webhooks() {
		assert.Equal(t, http.StatusOK, d.Status, "the token was accepted")
	}
}

func TestWebhooksEndToEndRetriesUntilHandled(t *testing.T) {
	a, srv, c := newWebhookApp(t, 2)
	_, err := c.CreateVerifyCode(context.Background(), &otpkit.CreateVerifyCodeRequest{Phone: "+4915112345678",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Hour)

	var attempts []int
	var statuses []int
	for _, d := range srv.Webhooks() {
		if d.Name == otpkit.EventVerifyCodeSuccess {
			attempts = append(attempts, d.Attempt)
			statuses = append(statuses, d.Status)
		}
	}
	assert.Equal(t, []int{1, 2, 3}, attempts, "delivered three times")
	assert.Equal(t, []int{500, 500, 200}, statuses)
	assert.Equal(t, []string{otpkit.EventVerifyCodeChannelUpdated, otpkit.EventVerifyCodeChannelSent + " sms",
		otpkit.EventVerifyCodeChannelSuccess + " sms", otpkit.EventVerifyCodeSuccess}, a.names(), "and handled once")
	assert.Equal(t, 3, a.handled[3].AttemptNumber)
}
