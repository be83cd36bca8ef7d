package mock

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// One recipient gets codes from all three providers, two of them from
// Tryvox: CodeFor finds each by its id where LastCode sees only the newest.
func TestCodeForEachProvider(t *testing.T) {
	srv, c := newTest(t)
	const phone = "+447123123456"

	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: phone, Code: "482913",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	_, ok := srv.LastCode(phone)
	assert.False(t, ok, "LOX24's message is still on its way (1 s on the mock's clock)")
	code, ok := srv.CodeFor(vc.ID)
	require.True(t, ok, "a LOX24 code whose delivering step runs is found at once")
	assert.Equal(t, "482913", code)

	v1 := startSMS(t, c, phone)
	v2 := startSMS(t, c, phone)
	sent, err := c.SendCode(ctx(t), &otpkit.SendCodeRequest{To: strings.TrimPrefix(phone, "+")})
	require.NoError(t, err)

	want := map[string]string{}
	for _, m := range srv.Messages() {
		want[m.ID] = m.Code
	}
	for _, id := range []string{v1.ID, v2.ID, sent.RequestID} {
		got, ok := srv.CodeFor(id)
		require.True(t, ok, id)
		assert.Equal(t, want[id], got, id)
		got, ok = srv.CodeFor(strings.ToUpper(id))
		require.True(t, ok, "ids compare in any case")
		assert.Equal(t, want[id], got)
	}
	last, _ := srv.LastCode(phone)
	assert.Equal(t, want[sent.RequestID], last, "LastCode is by recipient, across providers")

	// The older Tryvox code still checks against its own verification.
	code1, _ := srv.CodeFor(v1.ID)
	_, err = c.CheckCode(ctx(t), v1.ID, code1)
	require.NoError(t, err)
	// The LOX24 message arrives; CodeFor then reads it from the outbox.
	srv.Advance(time.Second)
	code, ok = srv.CodeFor(vc.ID)
	require.True(t, ok)
	assert.Equal(t, "482913", code)

	_, ok = srv.CodeFor("ver_unknown")
	assert.False(t, ok)
	_, ok = srv.CodeFor("")
	assert.False(t, ok)
}

func TestCodeForLOX24Delivery(t *testing.T) {
	srv, c := newTest(t)
	const phone = "+491701234567"
	srv.SetOutcome(phone, otpkit.ChannelTelegram, OutcomeFailed)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: phone, IsCodeDeleted: true,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram, TimeoutSec: 30}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	_, ok := srv.CodeFor(vc.ID)
	assert.False(t, ok, "the telegram step will fail: nothing is on its way yet")
	srv.Advance(30 * time.Second)
	code, ok := srv.CodeFor(vc.ID)
	require.True(t, ok, "the sms step runs")
	srv.Advance(time.Second)
	got, ok := srv.CodeFor(vc.ID)
	require.True(t, ok, "the outbox keeps the code LOX24 deleted")
	assert.Equal(t, code, got)
	m, _ := srv.LastMessage(phone)
	assert.Equal(t, code, m.Code)

	srv.SetOutcome("+491700000000", otpkit.ChannelSMS, OutcomeError)
	bad, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: "+491700000000",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	_, ok = srv.CodeFor(bad.ID)
	assert.False(t, ok, "a step that errors delivers nothing")
}

func TestControlMessagesByID(t *testing.T) {
	srv, c := newTest(t)
	v1 := startSMS(t, c, tvPhone)
	v2 := startSMS(t, c, tvPhone)
	var msgs []Message
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages?id="+v1.ID, "", &msgs))
	require.Len(t, msgs, 1)
	assert.Equal(t, v1.ID, msgs[0].ID)
	want, _ := srv.CodeFor(v1.ID)
	assert.Equal(t, want, msgs[0].Code)
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages?to=%2B"+tvPhone[1:]+"&id="+v2.ID, "", &msgs))
	require.Len(t, msgs, 1, "to and id together")
	assert.Equal(t, v2.ID, msgs[0].ID)
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages?id=ver_nope", "", &msgs))
	assert.Empty(t, msgs)
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages?to=%2B4900&id="+v1.ID, "", &msgs))
	assert.Empty(t, msgs)
}

func TestControlShutdown(t *testing.T) {
	srv, _ := newTest(t)
	ch := srv.ShutdownRequested()
	select {
	case <-ch:
		t.Fatal("closed before any request")
	default:
	}
	var e map[string]string
	assert.Equal(t, 405, ctl(t, srv, "GET", "/_mock/shutdown", "", &e))
	var ok map[string]string
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/shutdown", "", &ok))
	assert.Equal(t, "ok", ok["status"])
	select {
	case <-ch:
	default:
		t.Fatal("not closed after POST /_mock/shutdown")
	}
	require.Equal(t, 200, ctl(t, srv, "POST", "/_mock/shutdown", "", &ok), "a second request is harmless")
	srv.Reset()
	<-srv.ShutdownRequested() // Reset does not reopen it
	require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/health", "", &ok), "the Handler itself keeps serving")
}
