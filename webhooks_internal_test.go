package otpkit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseLOX24Event: no body makes the parser panic; an accepted event
// has its id and name, and encodes to JSON that parses to the same event
// and encodes to the same JSON again.
func FuzzParseLOX24Event(f *testing.F) {
	for _, s := range []string{
		`{"id":"f47ac10b-58cc-4372-a567-0e02b2c3d479","api_version":"2022-05-25","name":"verify_code.success","created_at":1735689600,"attempt_total":3,"attempt_number":1,"data":{"id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","user_id":12345,"phone":"+4915112345678","routing_strategy":[{"channel":"telegram","timeout_sec":30,"sender_id":"LOX24"},{"channel":"sms","timeout_sec":60,"sender_id":"LOX24"}],"status":10,"delivered_channel":"telegram","cost":5,"currency":"EUR","code":"1234","code_length":4,"payload":"session_abc123","created_at":1735689540,"updated_at":1735689600,"history":[{"id":"a1b2c3d4-d5e6-7890-abcd-ef1234567890","channel":"telegram","status":10,"processed_at":1735689570,"external_id":"tg_msg_001"}],"is_code_deleted":false},"notification_task_id":"3378de83-de66-4de8-9d29-2b10d41bb641"}`,
		`{"id":"e","name":"verify_code.channel.failed","attempts_total":4,"data":{"id":"v","channel":{"id":"h","channel":"sms","status":20,"processed_at":5,"external_id":null,"error_message":"x","cost":8}}}`,
		`{"id":"e","name":"verify_code.channel.sent","data":{"channel":null,"history":[],"routing_strategy":null}}`,
		`{"ID":"e","NAME":"n","Attempt_Total":2,"attempts_total":3}`,
		`{"id":"e","name":"x","data":null}`,
		`{"id":"e","name":"x","data":{"code":1234}}`,
		`{"id":"e","name":"x","created_at":-62135596800}`,
		`{"id":"\ud800","name":"\xff"}`,
		`[]`, `{}`, ``, `{"id":"e","name":"n","data":"x"}`,
		`{"id":"e","name":"x","data":{"n":1e999}}`, // valid JSON, no float64
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseLOX24Event(body)
		if err != nil {
			require.Nil(t, ev)
			require.ErrorIs(t, err, ErrInvalidRequest)
			return
		}
		require.NotEmpty(t, ev.ID)
		require.NotEmpty(t, ev.Name)
		if ev.Channel != nil {
			require.True(t, strings.HasPrefix(ev.Name, "verify_code.channel."))
		}
		out, err := json.Marshal(ev)
		require.NoError(t, err)
		again, err := ParseLOX24Event(out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, ev, again, "%s", out)
		out2, err := json.Marshal(again)
		require.NoError(t, err)
		require.JSONEq(t, string(out), string(out2))
		_ = fmt.Sprintf("%v %+v", ev, ev) // printing never panics either
	})
}

// FuzzLOX24WebhookHandler: whatever the method, token and body, the
// handler answers one of its documented statuses, calls fn only for an
// event with the right token, and never echoes the body or token.
func FuzzLOX24WebhookHandler(f *testing.F) {
	f.Add("POST", "tok", []byte(`{"id":"e1","name":"verify_code.success","data":{"code":"1234"}}`))
	f.Add("POST", "", []byte(`{"id":"e1","name":"verify_code.success"}`))
	f.Add("GET", "tok", []byte(``))
	f.Add("POST", "tok", []byte(`{"id":"e1"}`))
	f.Add("POST", "tok", []byte(strings.Repeat("x", 300)))
	f.Add("POST", "tok", []byte(`{"id":"`+strings.Repeat("i", 65)+`","name":"verify_code.success"}`))
	f.Fuzz(func(t *testing.T, method, token string, body []byte) {
		if !validMethod(method) {
			method = http.MethodPost
		}
		called := 0
		h := NewLOX24WebhookHandler(func(_ context.Context, ev *LOX24Event) error {
			called++
			require.LessOrEqual(t, len(ev.ID), MaxWebhookEventIDBytes, "fn never sees a longer id")
			if ev.Name == "fail" {
				return fmt.Errorf("failed")
			}
			return nil
		}, WithWebhookToken("tok"), WithWebhookMaxBody(256))
		req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(string(body)))
		req.Method = method
		q := req.URL.Query()
		q.Set("token", token)
		req.URL.RawQuery = q.Encode()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		switch rec.Code {
		case http.StatusOK, http.StatusInternalServerError:
			require.Equal(t, 1, called)
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
			require.Equal(t, 0, called)
		default:
			t.Fatalf("undocumented status %d", rec.Code)
		}
		if called > 0 {
			require.Equal(t, http.MethodPost, method)
			require.Equal(t, "tok", token)
			require.LessOrEqual(t, len(body), 256)
		}
		if len(body) > 3 {
			require.NotContains(t, rec.Body.String(), string(body))
		}
		if len(token) > 3 {
			require.NotContains(t, rec.Body.String(), token)
		}
	})
}

// validMethod reports whether m can be a request method (a token).
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, c) {
			return false
		}
	}
	return true
}
