package otpkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// docWebhookEvent is LOX24's documented webhook example, verbatim: it spells
// the attempts member attempt_total and has no lang in data.
const docWebhookEvent = `{"id":"f47ac10b-58cc-4372-a567-0e02b2c3d479","api_version":"2022-05-25","name":"verify_code.success",
"created_at":1735689600,"attempt_total":3,"attempt_number":1,"data":{"id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890",
"user_id":12345,"phone":"+4915112345678","routing_strategy":[{"channel":"telegram","timeout_sec":30,
"sender_id":"LOX24"},{"channel":"sms","timeout_sec":60,"sender_id":"LOX24"}],"status":10,
"delivered_channel":"telegram","cost":5,"currency":"EUR","code":"1234","code_length":4,
"payload":"session_abc123","created_at":1735689540,"updated_at":1735689600,"history":[{"id":
"a1b2c3d4-d5e6-7890-abcd-ef1234567890","channel":"telegram","status":10,"processed_at":1735689570,
"external_id":"tg_msg_001"}],"is_code_deleted":false},"notification_task_id":"3378de83-de66-4de8-9d29-2b10d41bb641"}`

// channelFailedEvent is a channel event as the mock sends one.
const channelFailedEvent = `{"id":"5b0e7c1e-2f52-4c8e-9a57-2d0f8f1e3a10","api_version":"2022-05-25","name":"verify_code.channel.failed",
"created_at":1735689630,"attempts_total":4,"attempt_number":2,"notification_task_id":"0c3c1c7a-6d0e-4f7b-8c57-0b7c5e1f9d21",
"data":{"id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","user_id":12345,"phone":"+4915112345678","lang":"DE",
"routing_strategy":[{"channel":"telegram"},{"channel":"sms"}],"status":5,"delivered_channel":null,"cost":null,"currency":null,
"code":"1234","code_length":4,"payload":null,"created_at":1735689600,"updated_at":1735689630,
"history":[{"id":"a1b2c3d4-d5e6-7890-abcd-ef1234567891","channel":"telegram","status":20,"processed_at":1735689630,"external_id":"tg_msg_7"}],
"is_code_deleted":false,"channel":{"id":"a1b2c3d4-d5e6-7890-abcd-ef1234567891","channel":"telegram","status":20,
"processed_at":1735689630,"external_id":"tg_msg_7","error_message":"telegram: not delivered","cost":5}}}`

func TestParseLOX24EventDocumentedExample(t *testing.T) {
	ev, err := otpkit.ParseLOX24Event([]byte(docWebhookEvent))
	require.NoError(t, err)
	assert.Equal(t, "f47ac10b-58cc-4372-a567-0e02b2c3d479", ev.ID)
	assert.Equal(t, "2022-05-25", ev.APIVersion)
	assert.Equal(t, otpkit.EventVerifyCodeSuccess, ev.Name)
	assert.Equal(t, time.Unix(1735689600, 0).UTC(), ev.CreatedAt)
	assert.Equal(t, 3, ev.AttemptTotal)
	assert.Equal(t, 1, ev.AttemptNumber)
	assert.Equal(t, "3378de83-de66-4de8-9d29-2b10d41bb641", ev.NotificationTaskID)
	assert.Nil(t, ev.Channel, "not a channel event")
	vc := ev.VerifyCode
	require.NotNil(t, vc)
	assert.Equal(t, "a1b2c3d4-e5f6-7890-abcd-ef1234567890", vc.ID)
	assert.Equal(t, otpkit.VerifyCodeSuccess, vc.Status)
	require.NotNil(t, vc.DeliveredChannel)
	assert.Equal(t, otpkit.ChannelTelegram, *vc.DeliveredChannel)
	assert.True(t, vc.Matches("1234"))
	require.Len(t, vc.History, 1)
	assert.Equal(t, time.Unix(1735689570, 0).UTC(), vc.History[0].ProcessedAt)
	assert.Equal(t, 60, vc.RoutingStrategy[1].TimeoutSec)

	// It encodes back to the same JSON; the verify code's lang, absent from
	// the example, is written as the read object always carries it.
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	var want map[string]any
	require.NoError(t, json.Unmarshal([]byte(docWebhookEvent), &want))
	want["data"].(map[string]any)["lang"] = ""
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	assert.JSONEq(t, string(wantJSON), string(out))
}

func TestParseLOX24EventChannelEvent(t *testing.T) {
	ev, err := otpkit.ParseLOX24Event([]byte(channelFailedEvent))
	require.NoError(t, err)
	assert.Equal(t, 4, ev.AttemptTotal, "attempts_total is read too")
	require.NotNil(t, ev.Channel)
	c := ev.Channel
	assert.Equal(t, otpkit.ChannelTelegram, c.Channel)
	assert.Equal(t, otpkit.VerifyCodeFailed, c.Status)
	assert.Equal(t, time.Unix(1735689630, 0).UTC(), c.ProcessedAt)
	require.NotNil(t, c.ErrorMessage)
	assert.Equal(t, "telegram: not delivered", *c.ErrorMessage)
	require.NotNil(t, c.Cost)
	assert.Equal(t, 5, *c.Cost)
	assert.Equal(t, otpkit.VerifyCodeInProgress, ev.VerifyCode.Status)

	out, err := json.Marshal(ev)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(out, &back))
	assert.EqualValues(t, 4, back["attempt_total"], "written in the documented spelling")
	assert.NotContains(t, back, "attempts_total")
}

func TestParseLOX24EventAcceptsWhatLOX24MayAdd(t *testing.T) {
	ev, err := otpkit.ParseLOX24Event([]byte(`{"name":"verify_code.expired","future":{"x":[1,2]},"id":"e1","data":null}`))
	require.NoError(t, err, "unknown names and members are no errors")
	assert.Equal(t, "verify_code.expired", ev.Name)
	assert.Nil(t, ev.VerifyCode)

	for _, ch := range []string{`{"id":"h"}`, `"sms"`, `[1]`} {
		ev, err = otpkit.ParseLOX24Event([]byte(`{"id":"e1","name":"verify_code.success","data":{"id":"v","channel":` + ch + `}}`))
		require.NoError(t, err, ch)
		assert.Nil(t, ev.Channel, "a channel member outside a channel event is ignored: %s", ch)
		assert.Equal(t, "v", ev.VerifyCode.ID)
	}
	_, err = otpkit.ParseLOX24Event([]byte(`{"id":"e1","name":"verify_code.channel.sent","data":{"id":"v","channel":"sms"}}`))
	assert.ErrorIs(t, err, otpkit.ErrInvalidRequest, "in a channel event it must be the step")
}

func TestParseLOX24EventRefusesWhatIsNoEvent(t *testing.T) {
	for _, body := range []string{``, `null`, `[]`, `"event"`, `{`, `{}`, `{"id":"e1"}`, `{"name":"verify_code.success"}`,
		`{"id":1,"name":"x"}`, `{"id":"e1","name":"x","created_at":"yesterday"}`,
		`{"id":"e1","name":"verify_code.success","data":{"code":98765432}}`, `{"id":"e1","name":"x","data":[]}`} {
		ev, err := otpkit.ParseLOX24Event([]byte(body))
		require.Error(t, err, body)
		assert.Nil(t, ev)
		assert.ErrorIs(t, err, otpkit.ErrInvalidRequest, body)
		assert.NotContains(t, err.Error(), "98765432", "the error never quotes the body")
	}
}

func TestLOX24EventPrintsNoCode(t *testing.T) {
	ev, err := otpkit.ParseLOX24Event([]byte(strings.Replace(channelFailedEvent, `"1234"`, `"58129437"`, 1)))
	require.NoError(t, err)
	require.True(t, ev.VerifyCode.Matches("58129437"))
	for _, s := range []string{fmt.Sprintf("%v", ev), fmt.Sprintf("%+v", *ev), fmt.Sprint(ev), fmt.Sprintf("%#v", ev)} {
		assert.NotContains(t, s, "58129437")
		assert.Contains(t, s, "verify_code.channel.failed")
		assert.Contains(t, s, "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "the verify code prints, but its code")
	}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("event", "ev", ev)
	assert.NotContains(t, buf.String(), "58129437")
	assert.Contains(t, buf.String(), "verify_code.channel.failed")
}

// webhookPost sends body to the handler with the token and returns the
// status.
func webhookPost(t *testing.T, h http.Handler, token, body string) int {
	t.Helper()
	target := "/hooks/lox24"
	if token != "" {
		target += "?token=" + token
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, strings.NewReader(body)))
	assert.NotContains(t, rec.Body.String(), "1234", "never echoes the body")
	if token != "" {
		assert.NotContains(t, rec.Body.String(), token, "never echoes the token")
	}
	return rec.Code
}

const hookToken = "wh_s3cr3t_t0ken"

func TestWebhookHandlerAnswers(t *testing.T) {
	var calls atomic.Int32
	fail := atomic.Bool{}
	h := otpkit.NewLOX24WebhookHandler(func(_ context.Context, ev *otpkit.LOX24Event) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("database down")
		}
		return nil
	}, otpkit.WithWebhookToken(hookToken))

	// 405 with Allow for another method, before anything else.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hooks/lox24?token="+hookToken, nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "POST", rec.Header().Get("Allow"))

	assert.Equal(t, http.StatusUnauthorized, webhookPost(t, h, "", docWebhookEvent), "missing token")
	assert.Equal(t, http.StatusUnauthorized, webhookPost(t, h, "wh_s3cr3t_t0keN", docWebhookEvent), "wrong token")
	assert.Equal(t, http.StatusUnauthorized, webhookPost(t, h, hookToken+"x", docWebhookEvent), "longer token")
	assert.Equal(t, int32(0), calls.Load(), "fn is not called without the token")

	assert.Equal(t, http.StatusBadRequest, webhookPost(t, h, hookToken, `{"id":"x"}`))
	assert.Equal(t, http.StatusBadRequest, webhookPost(t, h, hookToken, `not json`))

	fail.Store(true)
	assert.Equal(t, http.StatusInternalServerError, webhookPost(t, h, hookToken, docWebhookEvent))
	assert.Equal(t, http.StatusInternalServerError, webhookPost(t, h, hookToken, docWebhookEvent), "a failed event is not marked handled")
	fail.Store(false)
	assert.Equal(t, http.StatusOK, webhookPost(t, h, hookToken, docWebhookEvent))
	assert.Equal(t, int32(3), calls.Load())
	assert.Equal(t, http.StatusOK, webhookPost(t, h, hookToken, docWebhookEvent), "a duplicate id")
	assert.Equal(t, int32(3), calls.Load(), "a handled event does not run fn again")

	other := strings.Replace(docWebhookEvent, "f47ac10b", "aaaaaaaa", 1)
	assert.Equal(t, http.StatusOK, webhookPost(t, h, hookToken, other))
	assert.Equal(t, int32(4), calls.Load(), "another event id runs fn")
}

func TestWebhookHandlerEmptyTokenFailsClosed(t *testing.T) {
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { return nil },
		otpkit.WithWebhookToken(""))
	assert.Equal(t, http.StatusUnauthorized, webhookPost(t, h, "", docWebhookEvent))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks?token=", strings.NewReader(docWebhookEvent)))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestWebhookHandlerBodyLimit(t *testing.T) {
	var calls atomic.Int32
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { calls.Add(1); return nil },
		otpkit.WithoutWebhookToken())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	huge := `{"id":"e1","name":"verify_code.success","pad":"` + strings.Repeat("x", 10<<20) + `"}`
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(huge))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "a 10 MiB body with its length")

	// Without a Content-Length (chunked), the read stops at the limit.
	req, err := http.NewRequest(http.MethodPost, srv.URL, struct{ *strings.Reader }{strings.NewReader(huge)})
	require.NoError(t, err)
	req.ContentLength = -1
	resp, err = http.DefaultClient.Do(req)
	if err == nil { // the server may close before the client finished writing
		resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "a chunked 10 MiB body")
	}
	assert.Equal(t, int32(0), calls.Load())

	small := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { return nil },
		otpkit.WithWebhookMaxBody(100), otpkit.WithoutWebhookToken())
	assert.Equal(t, http.StatusRequestEntityTooLarge, webhookPost(t, small, "", docWebhookEvent))
	assert.Equal(t, http.StatusOK, webhookPost(t, small, "", `{"id":"e1","name":"verify_code.success"}`))
}

func TestWebhookHandlerConcurrentDeliveriesRunFnOnce(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error {
		calls.Add(1)
		<-release // hold the claim while the others arrive
		return nil
	}, otpkit.WithWebhookToken(hookToken))

	const n = 100
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = webhookPost(t, h, hookToken, docWebhookEvent)
		}()
	}
	require.Eventually(t, func() bool { return calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	for _, c := range codes {
		assert.Equal(t, http.StatusOK, c)
	}
}

func TestWebhookHandlerPanicReleasesTheClaim(t *testing.T) {
	var calls atomic.Int32
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error {
		if calls.Add(1) == 1 {
			panic("bug in the app")
		}
		return nil
	}, otpkit.WithoutWebhookToken())
	assert.Panics(t, func() { webhookPost(t, h, "", docWebhookEvent) })
	assert.Equal(t, http.StatusOK, webhookPost(t, h, "", docWebhookEvent))
	assert.Equal(t, int32(2), calls.Load(), "the retry runs fn again")
}

// failingDeduper fails every call, as a Redis that is down would.
type failingDeduper struct{ claims atomic.Int32 }

func (d *failingDeduper) Claim(context.Context, string, string, time.Duration) (bool, error) {
	d.claims.Add(1)
	return false, errors.New("redis: connection refused")
}
func (d *failingDeduper) Done(context.Context, string, time.Duration) error {
	return errors.New("down")
}
func (d *failingDeduper) Release(context.Context, string, string) error { return errors.New("down") }

func TestWebhookHandlerStoreErrorIs500(t *testing.T) {
	d := &failingDeduper{}
	var calls atomic.Int32
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { calls.Add(1); return nil },
		otpkit.WithWebhookDedup(d), otpkit.WithoutWebhookToken())
	assert.Equal(t, http.StatusInternalServerError, webhookPost(t, h, "", docWebhookEvent))
	assert.Equal(t, int32(1), d.claims.Load(), "the given Deduper is used")
	assert.Equal(t, int32(0), calls.Load(), "fails closed: fn is not run unclaimed")
}

// sharedDeduper lets two handlers (two app instances) share one record.
func TestWebhookHandlersSharingADeduperHandleOnce(t *testing.T) {
	d := &countingDeduper{held: map[string]string{}}
	var calls atomic.Int32
	fn := func(context.Context, *otpkit.LOX24Event) error { calls.Add(1); return nil }
	a := otpkit.NewLOX24WebhookHandler(fn, otpkit.WithWebhookDedup(d), otpkit.WithoutWebhookToken())
	b := otpkit.NewLOX24WebhookHandler(fn, otpkit.WithWebhookDedup(d), otpkit.WithoutWebhookToken())
	assert.Equal(t, http.StatusOK, webhookPost(t, a, "", docWebhookEvent))
	assert.Equal(t, http.StatusOK, webhookPost(t, b, "", docWebhookEvent))
	assert.Equal(t, int32(1), calls.Load())
	assert.Equal(t, []string{"claim", "done", "claim"}, d.ops)
}

type countingDeduper struct {
	mu      sync.Mutex
	held    map[string]string // id: its holder, or "done"
	ops     []string
	holders []string // of every claim
}

func (d *countingDeduper) Claim(_ context.Context, id, holder string, lease time.Duration) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ops = append(d.ops, "claim")
	d.holders = append(d.holders, holder)
	if d.held[id] != "" || lease <= 0 {
		return false, nil
	}
	d.held[id] = holder
	return true, nil
}

func (d *countingDeduper) Done(_ context.Context, id string, keep time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ops = append(d.ops, "done")
	d.held[id] = "done"
	if keep < time.Hour {
		return errors.New("keep too short for LOX24's retries")
	}
	return nil
}

func (d *countingDeduper) Release(_ context.Context, id, holder string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ops = append(d.ops, "release")
	if d.held[id] == holder {
		delete(d.held, id)
	}
	return nil
}

// Each delivery claims with a holder of its own, and releases with it.
func TestWebhookHandlerReleasesWithItsOwnHolder(t *testing.T) {
	d := &countingDeduper{held: map[string]string{}}
	var calls atomic.Int32
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error {
		if calls.Add(1) == 1 {
			return errors.New("database down")
		}
		return nil
	}, otpkit.WithWebhookDedup(d), otpkit.WithWebhookToken(hookToken))
	assert.Equal(t, http.StatusInternalServerError, webhookPost(t, h, hookToken, docWebhookEvent))
	assert.Equal(t, http.StatusOK, webhookPost(t, h, hookToken, docWebhookEvent), "released: the retry runs fn")
	assert.Equal(t, []string{"claim", "release", "claim", "done"}, d.ops)
	require.Len(t, d.holders, 2)
	assert.NotEqual(t, d.holders[0], d.holders[1], "a holder per delivery")
	assert.GreaterOrEqual(t, len(d.holders[0]), 20, "random enough not to collide")
}

// Without WithWebhookToken the handler refuses to exist, unless the app
// says WithoutWebhookToken.
func TestWebhookHandlerNeedsATokenOrWithoutWebhookToken(t *testing.T) {
	fn := func(context.Context, *otpkit.LOX24Event) error { return nil }
	assert.PanicsWithValue(t, "otpkit: NewLOX24WebhookHandler without WithWebhookToken: LOX24 webhooks are unsigned, the token is their only authentication; "+
		"pass WithWebhookToken(token), or WithoutWebhookToken() if something else authenticates the requests",
		func() { otpkit.NewLOX24WebhookHandler(fn) })
	assert.Panics(t, func() { otpkit.NewLOX24WebhookHandler(fn, otpkit.WithWebhookMaxBody(1<<20)) })

	open := otpkit.NewLOX24WebhookHandler(fn, otpkit.WithoutWebhookToken())
	assert.Equal(t, http.StatusOK, webhookPost(t, open, "", docWebhookEvent))

	both := otpkit.NewLOX24WebhookHandler(fn, otpkit.WithoutWebhookToken(), otpkit.WithWebhookToken(hookToken))
	assert.Equal(t, http.StatusUnauthorized, webhookPost(t, both, "", docWebhookEvent), "a token given is checked")
	both = otpkit.NewLOX24WebhookHandler(fn, otpkit.WithWebhookToken(hookToken), otpkit.WithoutWebhookToken())
	assert.Equal(t, http.StatusUnauthorized, webhookPost(t, both, "wrong", docWebhookEvent), "in either order")
	assert.Equal(t, http.StatusOK, webhookPost(t, both, hookToken, docWebhookEvent))
}

// An id longer than MaxWebhookEventIDBytes is not an event: 400, and
// neither fn nor the Deduper sees it.
func TestWebhookHandlerRefusesLongIDs(t *testing.T) {
	d := &countingDeduper{held: map[string]string{}}
	var calls atomic.Int32
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { calls.Add(1); return nil },
		otpkit.WithWebhookDedup(d), otpkit.WithWebhookToken(hookToken))
	event := func(id string) string { return `{"id":"` + id + `","name":"verify_code.success"}` }

	assert.Equal(t, http.StatusBadRequest, webhookPost(t, h, hookToken, event(strings.Repeat("a", otpkit.MaxWebhookEventIDBytes+1))))
	assert.Equal(t, http.StatusBadRequest, webhookPost(t, h, hookToken, event(strings.Repeat("é", 33))), "bytes, not characters")
	assert.Empty(t, d.ops, "the Deduper never sees it")
	assert.Zero(t, calls.Load())

	assert.Equal(t, http.StatusOK, webhookPost(t, h, hookToken, event(strings.Repeat("a", otpkit.MaxWebhookEventIDBytes))))
	assert.Equal(t, http.StatusOK, webhookPost(t, h, hookToken, event("f47ac10b-58cc-4372-a567-0e02b2c3d479")), "a UUID")
	assert.EqualValues(t, 2, calls.Load())
}
