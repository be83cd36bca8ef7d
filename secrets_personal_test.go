package otpkit_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// Personal data in the values real calls return: every flow of the three
// providers against the mock, the outbox, the webhook events and their
// delivery log print the recipient masked.
func TestNoPersonalDataInValuesFromTheMock(t *testing.T) {
	a, srv, c := newWebhookApp(t, 0)
	ctx := context.Background()
	printed := map[string]any{} // name: value, checked at the end

	const lox24Phone, tryvoxPhone, ddPhone = "+4915112345678", "+4917012345678", "447123123456"
	vc, err := c.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, CodeLength: 8,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(time.Hour) // delivers the code and its webhook events
	got, err := c.GetVerifyCode(ctx, vc.ID)
	require.NoError(t, err)
	require.Equal(t, lox24Phone, got.Phone, "the field keeps the number")
	list, err := c.ListVerifyCodes(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	printed["CreateVerifyCode's VerifyCode"], printed["GetVerifyCode's VerifyCode"] = vc, got
	printed["ListVerifyCodes's []VerifyCode"] = list

	for _, to := range []string{tryvoxPhone, personalEmail} {
		ch := otpkit.ChannelSMS
		if to == personalEmail {
			ch = otpkit.ChannelEmail
		}
		v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to, Channel: ch, CodeLength: 8})
		require.NoError(t, err)
		require.Equal(t, to, v.To)
		code, ok := srv.CodeFor(v.ID)
		require.True(t, ok)
		status, err := c.GetStatus(ctx, v.ID)
		require.NoError(t, err)
		checked, err := c.CheckCode(ctx, v.ID, code)
		require.NoError(t, err)
		printed["StartVerification's Verification to "+string(ch)] = v
		printed["GetStatus's Verification to "+string(ch)] = status
		printed["CheckCode's Verification to "+string(ch)] = checked
	}

	sent, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: ddPhone})
	require.NoError(t, err)
	require.Equal(t, ddPhone, sent.PhoneNumber)
	code, ok := srv.CodeFor(sent.RequestID)
	require.True(t, ok)
	validated, err := c.ValidateCode(ctx, sent.RequestID, code)
	require.NoError(t, err)
	printed["SendCode's CodeStatus"], printed["ValidateCode's CodeStatus"] = sent, validated

	msgs := srv.Messages()
	require.Len(t, msgs, 4, "one message a flow")
	for _, m := range msgs {
		printed["mock.Message to "+string(m.Channel)+" of "+string(m.Provider)] = m
	}
	printed["[]mock.Message"] = msgs
	assert.Equal(t, []string{lox24Phone, tryvoxPhone, personalEmail, ddPhone},
		[]string{msgs[0].To, msgs[1].To, msgs[2].To, msgs[3].To}, "the mock got every recipient in full")

	a.mu.Lock()
	events := append([]*otpkit.LOX24Event(nil), a.handled...)
	a.mu.Unlock()
	require.NotEmpty(t, events)
	for _, ev := range events {
		require.NotNil(t, ev.VerifyCode)
		require.Equal(t, lox24Phone, ev.VerifyCode.Phone)
		printed["the webhook event "+ev.Name] = ev
		printed["the webhook event "+ev.Name+" by value"] = *ev
	}
	deliveries := srv.Webhooks()
	require.NotEmpty(t, deliveries)
	for _, d := range deliveries {
		printed["mock.WebhookDelivery of "+d.Name] = d
	}

	for name, v := range printed {
		switch v.(type) {
		case []otpkit.VerifyCode, []mock.Message:
			// slog's JSON handler encodes a slice with encoding/json: the
			// wire form, number included (the README says so).
			requireNoSecretPrinted(t, name, v, false)
		default:
			requireNoSecretFormatted(t, name, v)
		}
	}
}

// The masks are for printing only: every request still carries the
// recipient in full on the wire.
func TestRequestBodiesCarryTheRecipient(t *testing.T) {
	c, mux, _ := setup(t)
	var mu sync.Mutex
	bodies := map[string]string{}
	record := func(answer string, status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies[r.URL.Path] = string(b)
			mu.Unlock()
			writeJSON(w, status, answer)
		}
	}
	mux.HandleFunc("POST /verify_codes", record(lox24Answer, http.StatusCreated))
	mux.HandleFunc("POST /v1/verify/start", record(`{"data":{"verification_id":"ver_abc123","to":"+919876543210","channel":"sms","status":"pending"}}`, http.StatusOK))
	mux.HandleFunc("POST /webapi/verify", record(`{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"CodeNotVerified","numberStatus":"Unknown"}`, http.StatusAccepted))
	ctx := context.Background()

	_, err := c.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: "+491701234567",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	_, err = c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+919876543210", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	_, err = c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 3, "one request each: %v", bodies)
	assert.Contains(t, bodies["/verify_codes"], `"phone":"+491701234567"`)
	assert.Contains(t, bodies["/v1/verify/start"], `"to":"+919876543210"`)
	assert.Contains(t, bodies["/webapi/verify"], `"to":"447123123456"`)
}
