package otpkit_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// The secrets suite: no credential (token, API key, password or its Basic
// form), no verification code and no personal data (phone number, e-mail
// address) shows in a log line, an error string or the %v, %+v or %#v of
// any exported value, on every call and every path.

// The codes of this suite have 8 digits, so that a chance match in a log
// line (a duration, a port) is out of the question.
const (
	secretLOX24Code    = "58129437" // sent by CreateVerifyCode and in every LOX24 answer
	secretCheckCode    = "48291375" // sent by CheckCode
	secretValidateCode = "77123469" // sent by ValidateCode
)

// The recipients of this suite. Each prints masked ("+49…", "44…",
// "[REDACTED]"); the requests still carry them in full.
const (
	personalEmail = "ada.lovelace@example.com"
)

// personalData lists every phone number and e-mail address the suite sends
// or its fake providers answer with, each number also without its "+" (the
// form dotdigital and the mock's outbox use).
func personalData() []string {
	numbers := []string{"+491701234567", "+491701234560", "+4917012345678", "+4915112345678", "+919876543210", "447123123456"}
	out := []string{personalEmail}
	for _, n := range numbers {
		out = append(out, n, strings.TrimPrefix(n, "+"))
	}
	return out
}

// allSecrets lists every value that must never show.
func allSecrets() []string {
	_, lox24Key, _ := strings.Cut(testLOX24Token, ":")
	basic := base64.StdEncoding.EncodeToString([]byte(testDDUser + ":" + testDDPassword))
	return append([]string{testLOX24Token, lox24Key, testTryvoxKey, testDDPassword, basic, strings.TrimRight(basic, "="),
		secretLOX24Code, secretCheckCode, secretValidateCode}, personalData()...)
}

// requireNoSecret fails when s contains any of allSecrets.
func requireNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range allSecrets() {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows the secret %q:\n%s", what, secret, s)
		}
	}
}

// formats are the verbs a value is printed with in logs and test output.
var formats = []string{"%v", "%+v", "%#v", "%s"}

// requireNoSecretFormatted checks v in every verb, and logged with slog's
// text and JSON handlers.
func requireNoSecretFormatted(t *testing.T, name string, v any) {
	t.Helper()
	requireNoSecretPrinted(t, name, v, true)
}

// requireNoSecretPrinted checks v in every verb and logged with slog's text
// handler, and with its JSON handler when withJSON. (The JSON handler
// encodes a slice or struct with encoding/json, which writes a VerifyCode
// in its wire form, code included; a VerifyCode itself logs redacted.)
func requireNoSecretPrinted(t *testing.T, name string, v any, withJSON bool) {
	t.Helper()
	for _, verb := range formats {
		requireNoSecret(t, name+" as "+verb, fmt.Sprintf(verb, v))
	}
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	slog.New(slog.NewTextHandler(&buf, opts)).Info("value", "v", v)
	if withJSON {
		slog.New(slog.NewJSONHandler(&buf, opts)).Info("value", "v", v)
	}
	requireNoSecret(t, name+" logged with slog", buf.String())
}

// secretScenario is one way a call can end.
type secretScenario struct {
	name    string
	answer  func(w http.ResponseWriter, r *http.Request) // nil: no request is expected
	timeout time.Duration
}

// providerError writes the provider's error body for status.
func providerError(w http.ResponseWriter, r *http.Request, status int) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/"):
		code := map[int]string{400: "VALIDATION_FAILED", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR"}[status]
		writeJSON(w, status, `{"error":{"code":"`+code+`","message":"`+http.StatusText(status)+`","details":[{"field":"code","reason":"is wrong"}]}}`)
	case strings.HasPrefix(strings.ToLower(r.URL.Path), "/webapi"):
		if status == 401 {
			w.Header().Set("WWW-Authenticate", `Basic realm="dotdigital"`)
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, `[{"property":"verifyCode","failureCode":"CodeInvalid","details":"`+http.StatusText(status)+`"}]`)
	default:
		w.Header().Set("X-LOX24-REQUEST-ID", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY")
		writeJSON(w, status, `{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","detail":"phone: This value is too short.","violations":[{"propertyPath":"phone","message":"This value is too short.","code":"9ff3fdc4-b214-49db-8718-39c315e33d45"}]}`)
	}
}

// lox24Answer is a LOX24 read object carrying the code.
const lox24Answer = `{"id":"d7ad7539-fb8f-4dbb-a7f7-7c40babec969","user_id":12345,"phone":"+491701234567","routing_strategy":[{"channel":"sms"}],"status":10,"delivered_channel":"sms","cost":8,"currency":"EUR","code":"` + secretLOX24Code + `","code_length":8,"payload":null,"lang":"EN","created_at":1779903448,"updated_at":1779903510,"history":[],"is_code_deleted":false}`

// successAnswer answers every route with its documented success.
func successAnswer(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/verify_codes":
		writeJSON(w, http.StatusCreated, lox24Answer)
	case p == "/verify_codes":
		writeJSON(w, http.StatusOK, "["+lox24Answer+"]")
	case strings.HasPrefix(p, "/verify_codes/"):
		writeJSON(w, http.StatusOK, lox24Answer)
	case p == "/v1/verify/check":
		writeJSON(w, http.StatusOK, `{"data":{"verification_id":"ver_abc123","status":"approved","to":"+919876543210","channel":"sms"}}`)
	case strings.HasPrefix(p, "/v1/"):
		writeJSON(w, http.StatusOK, `{"data":{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending","attempts":0,"max_attempts":5,"created_at":"2026-04-09T10:00:00Z","expires_at":"2026-04-09T10:10:00Z"}}`)
	case r.Method == http.MethodPost:
		writeJSON(w, http.StatusAccepted, `{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeNotVerified","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z"}`)
	default:
		writeJSON(w, http.StatusOK, `{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeVerified","numberStatus":"Unknown","created":"2015-10-21T13:28:06.419Z","verified":"2015-10-21T13:29:11.000Z"}`)
	}
}

func secretScenarios() []secretScenario {
	status := func(s int) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			if s == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "3600")
			}
			providerError(w, r, s)
		}
	}
	return []secretScenario{
		{name: "success", answer: successAnswer},
		{name: "400", answer: status(400)},
		{name: "401", answer: status(401)},
		{name: "404", answer: status(404)},
		{name: "429", answer: status(429)},
		{name: "500", answer: status(500)},
		{name: "204", answer: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }},
		{name: "success status, undocumented body", answer: func(w http.ResponseWriter, r *http.Request) {
			// The code in a body the client cannot decode.
			writeJSON(w, http.StatusOK, `{"code":"`+secretLOX24Code+`","created_at":"yesterday","created":5,"data":7}`)
		}},
		{name: "connection reset", answer: func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				reset(conn)
			}
		}},
		{name: "timeout", timeout: 100 * time.Millisecond, answer: func(w http.ResponseWriter, r *http.Request) {
			// With the body read, net/http notices when the client leaves.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}},
	}
}

// secretCall is a call; invalid makes it fail validation before sending,
// with a secret among its arguments.
type secretCall struct {
	name string
	do   func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error)
}

func secretCalls() []secretCall {
	create := func(phone string) *otpkit.CreateVerifyCodeRequest {
		return &otpkit.CreateVerifyCodeRequest{Phone: phone, Code: secretLOX24Code,
			RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS, Template: "Your code is {{code}}"}}}
	}
	pick := func(invalid bool, bad, good string) string {
		if invalid {
			return bad
		}
		return good
	}
	return []secretCall{
		{"CreateVerifyCode", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			return c.CreateVerifyCode(ctx, create(pick(invalid, "1", "+491701234567")))
		}},
		{"GetVerifyCode", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			return c.GetVerifyCode(ctx, pick(invalid, "..", "d7ad7539-fb8f-4dbb-a7f7-7c40babec969"))
		}},
		{"ListVerifyCodes", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			page := 1
			if invalid {
				page = -1
			}
			return c.ListVerifyCodes(ctx, &otpkit.ListVerifyCodesOptions{Page: page})
		}},
		{"StartVerification", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			return c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: pick(invalid, secretCheckCode, "+4917012345678"),
				Channel: otpkit.ChannelSMS})
		}},
		{"GetStatus", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			return c.GetStatus(ctx, pick(invalid, "", "ver_abc123"))
		}},
		{"CheckCode", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			// Invalid: 9 digits, the secret code plus one.
			return c.CheckCode(ctx, "ver_abc123", pick(invalid, secretCheckCode+"0", secretCheckCode))
		}},
		{"SendCode", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			return c.SendCode(ctx, &otpkit.SendCodeRequest{To: pick(invalid, "x"+secretValidateCode, "447123123456")})
		}},
		{"ValidateCode", func(ctx context.Context, c *otpkit.Client, invalid bool) (any, error) {
			return c.ValidateCode(ctx, pick(invalid, "", "0d5c94d4-df1f-4fc8-82d2-1f64ea548704"), secretValidateCode)
		}},
	}
}

func TestNoSecretInLogsErrorsOrValues(t *testing.T) {
	for _, handler := range []string{"text", "json"} {
		t.Run(handler, func(t *testing.T) {
			for _, sc := range append(secretScenarios(), secretScenario{name: "validation error"}) {
				t.Run(sc.name, func(t *testing.T) {
					var logs bytes.Buffer
					opts := &slog.HandlerOptions{Level: slog.LevelDebug}
					var h slog.Handler = slog.NewTextHandler(&logs, opts)
					if handler == "json" {
						h = slog.NewJSONHandler(&logs, opts)
					}
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if sc.answer == nil {
							t.Errorf("a request that fails validation was sent: %s %s", r.Method, r.URL.Path)
							return
						}
						sc.answer(w, r)
					}))
					t.Cleanup(srv.Close)
					opt := []otpkit.Option{
						otpkit.WithBaseURL(srv.URL),
						otpkit.WithLOX24Token(testLOX24Token),
						otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
						otpkit.WithDotdigitalAuth(testDDUser, testDDPassword),
						otpkit.WithRetryPolicy(otpkit.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond}),
						otpkit.WithLogger(slog.New(h)),
					}
					if sc.timeout > 0 {
						opt = append(opt, otpkit.WithTimeout(sc.timeout))
					}
					c, err := otpkit.NewClient(opt...)
					require.NoError(t, err)
					requireNoSecretFormatted(t, "the client", c)
					requireNoSecretFormatted(t, "the client value", *c)

					// The calls run at once (the timeouts overlap); the checks
					// follow in order.
					calls := secretCalls()
					type result struct {
						v   any
						err error
					}
					results := make([]result, len(calls))
					var wg sync.WaitGroup
					for i, call := range calls {
						wg.Add(1)
						go func() {
							defer wg.Done()
							v, err := call.do(context.Background(), c, sc.answer == nil)
							results[i] = result{v, err}
						}()
					}
					wg.Wait()
					for i, call := range calls {
						v, err := results[i].v, results[i].err
						if sc.name == "success" {
							require.NoError(t, err, call.name)
							_, isList := v.([]otpkit.VerifyCode)
							requireNoSecretPrinted(t, call.name+"'s result", v, !isList)
							continue
						}
						require.Error(t, err, call.name)
						if sc.answer == nil {
							assert.ErrorIs(t, err, otpkit.ErrInvalidRequest, call.name)
						}
						requireNoSecret(t, call.name+"'s error string", err.Error())
						requireNoSecretFormatted(t, call.name+"'s error", err)
					}
					c.CloseIdleConnections()

					lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
					if sc.answer == nil {
						assert.Empty(t, strings.TrimSpace(logs.String()), "nothing was sent, nothing is logged")
					} else {
						assert.Len(t, lines, len(secretCalls()), "one log line per call:\n%s", logs.String())
						assert.Contains(t, logs.String(), "/v1/verify/check", "the lines name the call")
					}
					requireNoSecret(t, "the log", logs.String())
				})
			}
		})
	}
}

// TestNoSecretInExportedValues prints every exported type of the root
// package and of the mock, filled with secrets where it has room for one.
func TestNoSecretInExportedValues(t *testing.T) {
	code := secretLOX24Code
	verified := time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)
	vc := otpkit.VerifyCode{ID: "d7ad7539-fb8f-4dbb-a7f7-7c40babec969", Phone: "+491701234567", Code: &code,
		History: []otpkit.HistoryEntry{{ID: "h1", Channel: otpkit.ChannelSMS, Status: otpkit.VerifyCodeSuccess}}}
	req := otpkit.CreateVerifyCodeRequest{Phone: "+491701234567", Code: secretLOX24Code,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}}
	ev := otpkit.LOX24Event{ID: "e1", Name: otpkit.EventVerifyCodeChannelSent, VerifyCode: &vc,
		Channel: &otpkit.ChannelEvent{ID: "h1", Channel: otpkit.ChannelSMS, Status: otpkit.VerifyCodeInProgress}}
	// Printed only: slog's JSON handler encodes these with encoding/json.
	printed := map[string]any{
		"[]VerifyCode":              []otpkit.VerifyCode{vc, vc},
		"struct with a VerifyCode":  struct{ V otpkit.VerifyCode }{vc},
		"struct with a *VerifyCode": struct{ V *otpkit.VerifyCode }{&vc},
	}
	for name, v := range printed {
		requireNoSecretPrinted(t, name, v, false)
	}
	values := map[string]any{
		"VerifyCode":               vc,
		"*VerifyCode":              &vc,
		"CreateVerifyCodeRequest":  req,
		"*CreateVerifyCodeRequest": &req,
		"HistoryEntry":             vc.History[0],
		"RoutingStep":              req.RoutingStrategy[0],
		"ListVerifyCodesOptions":   otpkit.ListVerifyCodesOptions{Page: 2},
		"StartVerificationRequest": otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS, CustomMessage: "{{code}}"},
		"StartVerificationRequest to an e-mail address": &otpkit.StartVerificationRequest{To: personalEmail, Channel: otpkit.ChannelEmail},
		"Verification":                       otpkit.Verification{ID: "ver_1", To: "+919876543210", Status: otpkit.VerificationPending, Attempts: 1, MaxAttempts: 5},
		"*Verification to an e-mail address": &otpkit.Verification{ID: "ver_2", To: personalEmail, Channel: otpkit.ChannelEmail},
		"SendCodeRequest":                    otpkit.SendCodeRequest{To: "447123123456", Body: "Your code is {{code}}"},
		"*SendCodeRequest":                   &otpkit.SendCodeRequest{To: "+447123123456", ValidUntil: time.Now()},
		"CodeStatus":                         otpkit.CodeStatus{RequestID: "0d5c94d4", PhoneNumber: "447123123456", Status: otpkit.CodeVerified},
		"*CodeStatus":                        &otpkit.CodeStatus{RequestID: "0d5c94d4", PhoneNumber: "447123123456", Verified: &verified},
		"mock.Message":                       mock.Message{ID: "ver_1", To: "+4917012345678", Code: secretCheckCode, Text: "Your code is " + secretCheckCode},
		"mock.Message to an e-mail address":  &mock.Message{ID: "ver_2", To: personalEmail, Channel: otpkit.ChannelEmail},
		"RetryPolicy":                        otpkit.DefaultRetryPolicy(),
		"FieldError":                         otpkit.FieldError{Field: "code", Code: "CodeInvalid", Message: "wrong"},
		"ValidationError":                    &otpkit.ValidationError{Field: "code", Reason: "Code must be 4-8 digits"},
		"mock.Request":                       mock.Request{Method: "POST", Path: "/v1/verify/check", Status: 400},
		"mock.Fault":                         mock.Fault{Status: 503, RetryAfter: time.Second, Count: 2},
		"mock.Stats":                         mock.Stats{Messages: 3},
		"LOX24Event":                         ev,
		"*LOX24Event":                        &ev,
		"ChannelEvent":                       *ev.Channel,
		"mock.WebhookDelivery":               mock.WebhookDelivery{EventID: "e1", URL: "https://app.example/hook?token=" + testTryvoxKey, Attempt: 1, Status: 200},
	}
	for name, v := range values {
		requireNoSecretFormatted(t, name, v)
	}

	// Values as calls produce them: an *APIError from a decoding failure
	// keeps the body, which here carries the code.
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /verify_codes/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"id":"d7ad7539","code":"`+secretLOX24Code+`","created_at":"not a number"}`)
	})
	_, err := c.GetVerifyCode(context.Background(), "d7ad7539")
	var apiErr *otpkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, otpkit.ErrServer)
	assert.Contains(t, string(apiErr.Body), `"created_at":"not a number"`, "the body is kept for diagnosis")
	requireNoSecret(t, "APIError.Body", string(apiErr.Body))
	requireNoSecretFormatted(t, "*APIError", apiErr)
	requireNoSecretFormatted(t, "APIError", *apiErr)

	// The mock's outbox holds codes in clear for tests to read, and prints
	// them redacted.
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	mc, err := srv.Client()
	require.NoError(t, err)
	_, err = mc.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS, CodeLength: 8})
	require.NoError(t, err)
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	sent := msgs[0].Code
	require.NotEmpty(t, sent)
	for _, v := range []any{msgs[0], msgs, srv.Requests(), mc, *mc} {
		for _, verb := range formats {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, sent, "%s of %T", verb, v)
			assert.NotContains(t, out, mock.TryvoxAPIKey, "%s of %T", verb, v)
		}
	}
}
