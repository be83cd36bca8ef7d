package mock

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// receiver is an httptest server that records the LOX24 events it gets,
// answering what answer says (200 by default).
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	events []*otpkit.LOX24Event
	answer func(ev *otpkit.LOX24Event) int
	onEv   func(ev *otpkit.LOX24Event) // called before answering, e.g. to call the mock back
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if !assert.NoError(t, err) {
			return
		}
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		ev, err := otpkit.ParseLOX24Event(body)
		if !assert.NoError(t, err, "%s", body) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.events = append(rc.events, ev)
		answer, onEv := rc.answer, rc.onEv
		rc.mu.Unlock()
		if onEv != nil {
			onEv(ev)
		}
		status := http.StatusOK
		if answer != nil {
			status = answer(ev)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() []*otpkit.LOX24Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*otpkit.LOX24Event(nil), rc.events...)
}

// names lists the events' names, with the channel of channel events.
func names(evs []*otpkit.LOX24Event) []string {
	var out []string
	for _, ev := range evs {
		n := strings.TrimPrefix(ev.Name, "verify_code.")
		if ev.Channel != nil {
			n += " " + string(ev.Channel.Channel)
		}
		out = append(out, n)
	}
	return out
}

const whPhone = "+491701234567"

func createFallback(t *testing.T, c *otpkit.Client) *otpkit.VerifyCode {
	t.Helper()
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, Code: "58129437",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram, TimeoutSec: 30}, {Channel: otpkit.ChannelVoice}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	return vc
}

func TestWebhooksFallbackSequence(t *testing.T) {
	rc := newReceiver(t)
	srv, c := newTest(t, WithLOX24Webhook(rc.srv.URL+"/hook?token=s3cret"))
	srv.SetOutcome(whPhone, otpkit.ChannelTelegram, OutcomeFailed)
	srv.SetOutcome(whPhone, otpkit.ChannelVoice, OutcomeFailed)

	// Each event's data is what GET answers at that moment: the receiver
	// asks the mock while its delivery runs (and so must not deadlock it).
	var mismatches []string
	rc.onEv = func(ev *otpkit.LOX24Event) {
		assert.Equal(t, ev.CreatedAt, srv.Now(), "delivered when the clock reads the event's time")
		got, err := c.GetVerifyCode(context.Background(), ev.VerifyCode.ID)
		if assert.NoError(t, err) && !assert.ObjectsAreEqual(*got, *ev.VerifyCode) {
			mismatches = append(mismatches, ev.Name)
		}
	}

	vc := createFallback(t, c)
	assert.Equal(t, []string{"channel.updated", "channel.sent telegram"}, names(rc.got()), "sent before the create answered")

	srv.Advance(time.Hour)
	evs := rc.got()
	require.Equal(t, []string{
		"channel.updated", "channel.sent telegram",
		"channel.failed telegram", "channel.sent voice",
		"channel.failed voice", "channel.sent sms",
		"channel.success sms", "success",
	}, names(evs))
	assert.Empty(t, mismatches)

	wantAt := []time.Duration{0, 0, 30 * time.Second, 30 * time.Second, 31 * time.Second, 31 * time.Second, 32 * time.Second, 32 * time.Second}
	ids := map[string]bool{}
	for i, ev := range evs {
		assert.Equal(t, t0.Add(wantAt[i]), ev.CreatedAt, ev.Name)
		assert.Equal(t, "2022-05-25", ev.APIVersion)
		assert.Equal(t, 4, ev.AttemptTotal)
		assert.Equal(t, 1, ev.AttemptNumber)
		assert.NotEmpty(t, ev.NotificationTaskID)
		assert.Equal(t, vc.ID, ev.VerifyCode.ID)
		assert.False(t, ids[ev.ID], "each event has its own id")
		ids[ev.ID] = true
	}
	assert.Equal(t, otpkit.VerifyCodeInProgress, evs[0].VerifyCode.Status, "0 → 5")
	failed := evs[2].Channel
	assert.Equal(t, otpkit.VerifyCodeFailed, failed.Status)
	require.NotNil(t, failed.ErrorMessage)
	require.NotNil(t, failed.Cost)
	assert.Equal(t, 5, *failed.Cost)
	assert.Nil(t, evs[3].Channel.Cost, "a step just sent has no cost yet")
	assert.Nil(t, evs[3].Channel.ErrorMessage)
	assert.Equal(t, evs[3].Channel.ID, evs[4].Channel.ID, "sent and failed are about the same history entry")
	last := evs[7].VerifyCode
	assert.Equal(t, otpkit.VerifyCodeSuccess, last.Status)
	require.NotNil(t, last.Cost)
	assert.Equal(t, 5+15+8, *last.Cost)
	assert.Len(t, last.History, 3)
	assert.True(t, last.Matches("58129437"))

	log := srv.Webhooks()
	require.Len(t, log, 8)
	for i, d := range log {
		assert.Equal(t, evs[i].ID, d.EventID)
		assert.Equal(t, evs[i].Name, d.Name)
		assert.Equal(t, 200, d.Status)
		assert.Equal(t, 1, d.Attempt)
		assert.Empty(t, d.Error)
		assert.Equal(t, t0.Add(wantAt[i]), d.Time, "the log says when, on the mock's clock")
		assert.Equal(t, rc.srv.URL+"/hook?token=s3cret", d.URL)
	}
}

func TestWebhooksAllStepsFailAndError(t *testing.T) {
	rc := newReceiver(t)
	srv, c := newTest(t, WithLOX24Webhook(rc.srv.URL))
	srv.SetOutcome(whPhone, otpkit.ChannelSMS, OutcomeFailed)
	_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Minute)
	evs := rc.got()
	assert.Equal(t, []string{"channel.updated", "channel.sent sms", "channel.failed sms", "failed"}, names(evs))
	assert.Equal(t, otpkit.VerifyCodeFailed, evs[3].VerifyCode.Status)

	srv.SetOutcome("+491709999999", otpkit.ChannelSMS, OutcomeError)
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: "+491709999999", IsCodeDeleted: true,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Minute)
	evs = rc.got()[4:]
	assert.Equal(t, []string{"channel.updated", "channel.sent sms", "channel.failed sms", "failed"}, names(evs))
	assert.Equal(t, otpkit.VerifyCodeError, evs[3].VerifyCode.Status, "an error ends with failed; data.status says 100")
	assert.Equal(t, "processing error", *evs[2].Channel.ErrorMessage)
	require.NotNil(t, evs[2].Channel.Cost)
	assert.Equal(t, 8, *evs[2].Channel.Cost, "the errored sms step was tried: charged")
	assert.Equal(t, 8, *evs[3].VerifyCode.Cost)
	assert.Nil(t, evs[3].VerifyCode.Code, "a deleted code is not in the event either")
	assert.NotNil(t, evs[0].VerifyCode.Code, "until it is deleted")
}

func TestWebhooksRetryOnAFailingReceiver(t *testing.T) {
	rc := newReceiver(t)
	fails := map[string]int{}
	rc.answer = func(ev *otpkit.LOX24Event) int {
		if ev.Name == otpkit.EventVerifyCodeSuccess && fails[ev.ID] < 2 {
			fails[ev.ID]++
			return http.StatusInternalServerError
		}
		return http.StatusNoContent // any 2xx is success
	}
	srv, c := newTest(t, WithLOX24Webhook(rc.srv.URL))
	_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Hour) // one move spanning the 1st attempt and both retries

	var success []WebhookDelivery
	for _, d := range srv.Webhooks() {
		if d.Name == otpkit.EventVerifyCodeSuccess {
			success = append(success, d)
		}
	}
	require.Len(t, success, 3)
	start := t0.Add(time.Second)
	for i, want := range []struct {
		at     time.Duration
		status int
	}{{0, 500}, {time.Minute, 500}, {6 * time.Minute, 204}} {
		assert.Equal(t, i+1, success[i].Attempt)
		assert.Equal(t, want.status, success[i].Status)
		assert.Equal(t, start.Add(want.at), success[i].Time)
		assert.Equal(t, success[0].EventID, success[i].EventID)
	}
	var got []*otpkit.LOX24Event
	for _, ev := range rc.got() {
		if ev.Name == otpkit.EventVerifyCodeSuccess {
			got = append(got, ev)
		}
	}
	require.Len(t, got, 3)
	for i, ev := range got {
		assert.Equal(t, i+1, ev.AttemptNumber)
		assert.Equal(t, got[0].ID, ev.ID)
		assert.Equal(t, got[0].NotificationTaskID, ev.NotificationTaskID)
		assert.Equal(t, got[0].CreatedAt, ev.CreatedAt, "a retry is the same event")
	}
}

func TestWebhooksRefusedConnectionIsRetriedFourTimes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String() + "/hook?token=s3cret"
	require.NoError(t, ln.Close())

	srv, c := newTest(t, WithLOX24Webhook(dead))
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(2 * time.Minute)
	first := srv.Webhooks()
	require.Len(t, first, 2, "the first event, tried twice by now; the code's later events wait behind it")
	assert.Equal(t, first[0].EventID, first[1].EventID)
	srv.Advance(24 * time.Hour)

	byEvent := map[string][]WebhookDelivery{}
	for _, d := range srv.Webhooks() {
		byEvent[d.EventID] = append(byEvent[d.EventID], d)
		assert.Equal(t, 0, d.Status)
		assert.Contains(t, d.Error, "refused")
		assert.NotContains(t, d.Error, "s3cret", "the error never holds the URL")
	}
	require.Len(t, byEvent, 4, "updated, sent, channel.success, success")
	// In the order they happened: each event's attempts all come before
	// the next event's first.
	log := srv.Webhooks()
	var order []string
	for i, d := range log {
		if i == 0 || log[i-1].EventID != d.EventID {
			order = append(order, d.Name)
		}
	}
	assert.Equal(t, []string{otpkit.EventVerifyCodeChannelUpdated, otpkit.EventVerifyCodeChannelSent,
		otpkit.EventVerifyCodeChannelSuccess, otpkit.EventVerifyCodeSuccess}, order)
	for _, ds := range byEvent {
		require.Len(t, ds, 4, "at most 4 attempts")
		assert.Equal(t, time.Minute, ds[1].Time.Sub(ds[0].Time))
		assert.Equal(t, 5*time.Minute, ds[2].Time.Sub(ds[1].Time))
		assert.Equal(t, 30*time.Minute, ds[3].Time.Sub(ds[2].Time))
		for i, d := range ds {
			assert.Equal(t, i+1, d.Attempt)
		}
	}
	assert.NotContains(t, fmt.Sprint(srv.Webhooks()[0]), "s3cret", "a delivery prints its URL's query redacted")
}

func TestWebhooksTimeoutIsRetried(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	srv := NewServer(WithClock(t0))
	t.Cleanup(srv.Close)
	srv.whSend.timeout = 50 * time.Millisecond
	srv.SetLOX24Webhook(slow.URL)
	c, err := srv.Client()
	require.NoError(t, err)
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	log := srv.Webhooks()
	require.Len(t, log, 1, "the code's second event waits behind the first one's retry")
	assert.Equal(t, 0, log[0].Status)
	assert.Equal(t, "no answer within 50ms", log[0].Error)
}

func TestWebhooksReceiverCallingTheMockBackDoesNotDeadlock(t *testing.T) {
	rc := newReceiver(t)
	srv, c := newTest(t, WithLOX24Webhook(rc.srv.URL))
	rc.onEv = func(ev *otpkit.LOX24Event) {
		// Every control and a request that makes more events due.
		_ = srv.Webhooks()
		_ = srv.Messages()
		srv.Advance(time.Second)
		resp := do(srv, "POST", "/_mock/clock", `{"advance":"1s"}`, ctlJSON)
		assert.Equal(t, 200, resp.Status)
		if ev.Name == otpkit.EventVerifyCodeChannelUpdated && len(rc.got()) == 1 {
			_, err := c.CreateVerifyCode(context.Background(), &otpkit.CreateVerifyCodeRequest{Phone: "+491707654321",
				RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
			assert.NoError(t, err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		createFallback(t, c)
		srv.Advance(time.Hour)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("deadlock: a receiver calling the mock back")
	}
	assert.Equal(t, []string{"channel.updated", "channel.sent telegram", "channel.success telegram", "success",
		"channel.updated", "channel.sent sms", "channel.success sms", "success"}, names(rc.got()), "both codes' events arrive")
}

func TestWebhooksControlAPI(t *testing.T) {
	rc := newReceiver(t)
	srv, c := newTest(t)
	assert.Equal(t, "", srv.LOX24Webhook())

	resp := do(srv, "POST", "/_mock/webhooks", `{"url":"ftp://x"}`, ctlJSON)
	assert.Equal(t, 400, resp.Status)
	resp = do(srv, "POST", "/_mock/webhooks", `{}`, ctlJSON)
	assert.Equal(t, 400, resp.Status)
	resp = do(srv, "DELETE", "/_mock/webhooks", ``, ctlJSON)
	assert.Equal(t, 405, resp.Status)
	assert.Equal(t, "GET, POST", resp.Header.Get("Allow"))
	resp = do(srv, "GET", "/_mock/webhooks", ``, nil)
	assert.JSONEq(t, `[]`, string(resp.Body))

	resp = do(srv, "POST", "/_mock/webhooks", `{"url":"`+rc.srv.URL+`"}`, ctlJSON)
	require.Equal(t, 200, resp.Status, "%s", resp.Body)
	assert.Equal(t, rc.srv.URL, srv.LOX24Webhook())
	_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	resp = do(srv, "POST", "/_mock/clock", `{"advance":"5s"}`, ctlJSON)
	require.Equal(t, 200, resp.Status)
	resp = do(srv, "GET", "/_mock/webhooks", ``, nil)
	list := resp.JSON(t).([]any)
	require.Len(t, list, 4)
	first := list[0].(map[string]any)
	assert.Equal(t, otpkit.EventVerifyCodeChannelUpdated, first["name"])
	assert.EqualValues(t, 1, first["attempt"])
	assert.EqualValues(t, 200, first["status"])
	assert.Equal(t, t0.Format(time.RFC3339Nano), first["time"])
	assert.NotEmpty(t, first["event_id"])

	resp = do(srv, "POST", "/_mock/webhooks", `{"url":""}`, ctlJSON)
	require.Equal(t, 200, resp.Status)
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Minute)
	assert.Len(t, srv.Webhooks(), 4, "no URL, no events")

	srv.SetLOX24Webhook(rc.srv.URL)
	srv.Reset()
	assert.Empty(t, srv.Webhooks())
	assert.Equal(t, "", srv.LOX24Webhook(), "Reset returns to the configured URL")
}

func TestWithLOX24WebhookRefusesABadURL(t *testing.T) {
	for _, u := range []string{"localhost:8080", "/hook", "ftp://h/x", "http://"} {
		assert.Panics(t, func() { NewHandler(WithLOX24Webhook(u)) }, u)
		assert.Panics(t, func() { NewHandler().SetLOX24Webhook(u) }, u)
	}
	assert.NotPanics(t, func() { NewHandler(WithLOX24Webhook("https://app.example/hooks/lox24?token=x")) })
}

func TestWebhooksResetDropsADeliveryInFlight(t *testing.T) {
	rc := newReceiver(t)
	srv, c := newTest(t, WithLOX24Webhook(rc.srv.URL))
	rc.onEv = func(*otpkit.LOX24Event) {
		if len(rc.got()) == 1 {
			srv.Reset()
		}
	}
	createFallback(t, c)
	assert.Empty(t, srv.Webhooks(), "what Reset forgot is not logged")
}

func TestWebhooksLogAndQueueAreBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String() + "/hook"
	require.NoError(t, ln.Close())
	srv, c := newTest(t, WithLOX24Webhook(dead))
	srv.mu.Lock()
	srv.st.wh.log = newRing[WebhookDelivery](5)
	srv.st.wh.maxPending = 3
	srv.mu.Unlock()

	for range 3 {
		_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
		require.NoError(t, err)
	}
	srv.mu.Lock()
	pending := srv.st.wh.pending.Len()
	srv.mu.Unlock()
	assert.LessOrEqual(t, pending, 3, "the queue stays bounded")
	log := srv.Webhooks()
	assert.Len(t, log, 5, "the log keeps the newest entries")
	dropped := 0
	for _, d := range log {
		if d.Attempt == 0 {
			dropped++
			assert.Equal(t, webhookEventPending, d.Error)
		}
	}
	assert.Positive(t, dropped, "an event beyond the bound is dropped and logged")

	srv.Advance(24 * time.Hour)
	srv.mu.Lock()
	assert.Zero(t, srv.st.wh.pending.Len(), "every delivery ends after its 4th attempt")
	srv.mu.Unlock()
}

func TestWebhooksConcurrentCodesEachInOrder(t *testing.T) {
	rc := newReceiver(t)
	srv, c := newTest(t, WithLOX24Webhook(rc.srv.URL))
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CreateVerifyCode(context.Background(), &otpkit.CreateVerifyCodeRequest{Phone: fmt.Sprintf("+4917012345%03d", i),
				RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
			assert.NoError(t, err)
			_ = srv.Messages()
		}()
	}
	wg.Wait()
	srv.Advance(time.Minute)

	byCode := map[string][]string{}
	seen := map[string]bool{}
	for _, ev := range rc.got() {
		assert.False(t, seen[ev.ID], "each event is delivered once")
		seen[ev.ID] = true
		byCode[ev.VerifyCode.ID] = append(byCode[ev.VerifyCode.ID], ev.Name)
	}
	require.Len(t, byCode, n)
	for _, evs := range byCode {
		assert.Equal(t, []string{otpkit.EventVerifyCodeChannelUpdated, otpkit.EventVerifyCodeChannelSent,
			otpkit.EventVerifyCodeChannelSuccess, otpkit.EventVerifyCodeSuccess}, evs)
	}
	assert.Len(t, srv.Webhooks(), 4*n)
}

// The events of one verify code reach the receiver in the order they
// happened, even when one of them needs a retry: the code's later events
// wait behind it. Another code's events do not wait.
func TestWebhooksOfOneCodeKeepTheirOrderAcrossRetries(t *testing.T) {
	rc := newReceiver(t)
	failed := false
	rc.answer = func(ev *otpkit.LOX24Event) int {
		if ev.Name == otpkit.EventVerifyCodeChannelUpdated && ev.VerifyCode.Phone == whPhone && !failed {
			failed = true
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	srv, c := newTest(t, WithLOX24Webhook(rc.srv.URL))
	sms := []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}
	_, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: whPhone, RoutingStrategy: sms})
	require.NoError(t, err)
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: "+491707654321", RoutingStrategy: sms})
	require.NoError(t, err)
	srv.Advance(10 * time.Second)
	var first, other []*otpkit.LOX24Event
	for _, ev := range rc.got() {
		if ev.VerifyCode.Phone == whPhone {
			first = append(first, ev)
		} else {
			other = append(other, ev)
		}
	}
	assert.Equal(t, []string{"channel.updated"}, names(first), "the failed event holds back its code's later events")
	assert.Equal(t, []string{"channel.updated", "channel.sent sms", "channel.success sms", "success"}, names(other),
		"another code's events do not wait")

	srv.Advance(time.Minute) // the retry, then the events behind it
	first = first[:0]
	for _, ev := range rc.got() {
		if ev.VerifyCode.Phone == whPhone {
			first = append(first, ev)
		}
	}
	assert.Equal(t, []string{"channel.updated", "channel.updated", "channel.sent sms", "channel.success sms", "success"}, names(first))
	assert.Equal(t, 2, first[1].AttemptNumber)
	for _, ev := range first[2:] {
		assert.Equal(t, 1, ev.AttemptNumber)
	}
}
