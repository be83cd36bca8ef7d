package mock

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// What the mock keeps per request is bounded, so that its memory is
// bounded by bytes, not only by entries: a message text, a logged path and
// method, a scripted recipient, and the number of scripted outcomes.

func TestOutboxTextIsBounded(t *testing.T) {
	h := NewHandler(WithClock(t0))
	huge := strings.Repeat("x", 1<<20-1000) + " {{code}}"
	for _, body := range []string{
		`{"to":"+4917012345678","channel":"sms","custom_message":"` + huge + `"}`,
		`{"to":"+4917012345679","channel":"sms","app_name":"` + strings.Repeat("a", 1<<20-1000) + `"}`,
	} {
		r := do(h, http.MethodPost, "/v1/verify/start", body, tryvoxAuth)
		require.Equal(t, http.StatusOK, r.Status, "%.300s", r.Body)
	}
	r := do(h, http.MethodPost, "/webapi/verify", `{"to":"447123123456","body":"`+huge+`"}`, ddAuth)
	require.Equal(t, http.StatusAccepted, r.Status, "%.300s", r.Body)
	msgs := h.Messages()
	require.Len(t, msgs, 3)
	for _, m := range msgs {
		assert.LessOrEqual(t, len(m.Text), maxMessageText, "the outbox keeps the start of a long text")
		assert.NotEmpty(t, m.Code, "the code is kept whole")
	}
}

func TestRequestLogEntryIsBounded(t *testing.T) {
	h := NewHandler(WithClock(t0))
	req := newReq(http.MethodGet, "/v1/verify/x", nil, nil)
	req.URL.Path = "/" + strings.Repeat("p", 1<<20)
	req.Method = strings.Repeat("M", 1<<16)
	serve(h, req)
	reqs := h.Requests()
	require.Len(t, reqs, 1)
	assert.LessOrEqual(t, len(reqs[0].Path), maxLoggedPath)
	assert.LessOrEqual(t, len(reqs[0].Method), maxLoggedMethod)
	assert.True(t, strings.HasPrefix(reqs[0].Path, "/ppp"))
}

func TestScriptedOutcomesAreBounded(t *testing.T) {
	h := NewHandler()
	long := "+49" + strings.Repeat("1", maxRecipient)
	assert.Panics(t, func() { h.SetOutcome(long, otpkit.ChannelSMS, OutcomeFailed) })
	assert.Panics(t, func() { h.SetOutcome("+4917012345678", otpkit.Channel(strings.Repeat("c", 100)), OutcomeFailed) })
	assert.Panics(t, func() { h.SetNumberStatus(long, "Invalid") })
	assert.Panics(t, func() { h.SetNumberStatus("+4917012345678", strings.Repeat("s", 1000)) })

	srv := NewServer()
	t.Cleanup(srv.Close)
	for _, body := range []string{
		`{"recipient":"` + long + `","channel":"sms","outcome":"failed"}`,
		`{"recipient":"+4917012345678","channel":"` + strings.Repeat("c", 100) + `","outcome":"failed"}`,
	} {
		r := send(t, srv, http.MethodPost, "/_mock/outcomes", []byte(body), ctlJSON)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	}
	r := send(t, srv, http.MethodPost, "/_mock/number_status", []byte(`{"recipient":"`+long+`","status":"Invalid"}`), ctlJSON)
	assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)

	// At most maxScripted outcomes; changing or clearing one stays possible.
	for i := range maxScripted {
		h.SetOutcome(fmt.Sprintf("+49170%08d", i), otpkit.ChannelSMS, OutcomeFailed)
	}
	assert.Panics(t, func() { h.SetOutcome("+4917099999999", otpkit.ChannelSMS, OutcomeFailed) })
	h.SetOutcome(fmt.Sprintf("+49170%08d", 0), otpkit.ChannelSMS, OutcomeError)
	h.SetOutcome(fmt.Sprintf("+49170%08d", 1), otpkit.ChannelSMS, OutcomeDelivered)
	h.SetOutcome("+4917099999999", otpkit.ChannelSMS, OutcomeFailed)

	for i := range maxScripted {
		r := do(srv.Handler, http.MethodPost, "/_mock/outcomes", fmt.Sprintf(`{"recipient":"+49171%08d","channel":"sms","outcome":"failed"}`, i), ctlJSON)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	}
	r = do(srv.Handler, http.MethodPost, "/_mock/outcomes", `{"recipient":"+4917199999999","channel":"sms","outcome":"failed"}`, ctlJSON)
	assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Contains(t, string(r.Body), "outcomes")
}
