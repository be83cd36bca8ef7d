package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

func TestLOX24CreateGetList(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)
	const phone = "+4917012345678"
	srv.SetOutcome(phone, otpkit.ChannelTelegram, mock.OutcomeFailed)

	r := runCLI(t, env, "lox24", "create", "--phone", phone, "--code-length", "6", "--lang", "EN",
		"--payload", "order 7", "--route", "telegram, voice,sms", "--telegram-timeout", "1m",
		"--sender-id", "otpkit", "--template", "Code {{code}}", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var vc otpkit.VerifyCode
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &vc))
	assert.Equal(t, phone, vc.Phone)
	assert.Equal(t, "EN", vc.Lang)
	require.Len(t, vc.RoutingStrategy, 3)
	assert.Equal(t, otpkit.RoutingStep{Channel: otpkit.ChannelTelegram, TimeoutSec: 60}, vc.RoutingStrategy[0])
	assert.Equal(t, otpkit.RoutingStep{Channel: otpkit.ChannelVoice, SenderID: "otpkit", Template: "Code {{code}}"}, vc.RoutingStrategy[1])
	assert.Equal(t, otpkit.ChannelSMS, vc.RoutingStrategy[2].Channel)
	require.NotNil(t, vc.Code)
	assert.Len(t, *vc.Code, 6)

	srv.Advance(2 * time.Minute) // telegram times out, voice delivers

	// get: JSON is the API object, code included; the summary hides the code.
	r = runCLI(t, env, "lox24", "get", vc.ID, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got otpkit.VerifyCode
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, otpkit.VerifyCodeSuccess, got.Status)
	assert.True(t, got.Matches(*vc.Code))
	require.NotNil(t, got.DeliveredChannel)
	assert.Equal(t, otpkit.ChannelVoice, *got.DeliveredChannel)

	r = runCLI(t, env, "lox24", "get", "--base-url", srv.URL, vc.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "status:")
	assert.Contains(t, r.stdout, "Success (10)")
	assert.Contains(t, r.stdout, "telegram → voice → sms")
	assert.Contains(t, r.stdout, "delivered:  voice")
	assert.Contains(t, r.stdout, "6 digits, hidden")
	assert.NotContains(t, r.stdout, *vc.Code)

	r = runCLI(t, env, "lox24", "list", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var list []otpkit.VerifyCode
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 1)
	assert.Equal(t, vc.ID, list[0].ID)

	r = runCLI(t, env, "lox24", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ID")
	assert.Contains(t, r.stdout, vc.ID)
	assert.NotContains(t, r.stdout, *vc.Code)

	r = runCLI(t, env, "lox24", "list", "--page", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "no verify codes on this page\n", r.stdout)
}

func TestLOX24CreateSummaryAndChosenCode(t *testing.T) {
	srv := newMock(t)
	r := runCLI(t, mockEnvironment(srv), "lox24", "create", "--phone", "+4917012345678", "--code", "4711", "--delete-code")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "route:")
	assert.Contains(t, r.stdout, "4 digits, hidden")
	assert.NotContains(t, r.stdout, "4711")
	srv.Advance(time.Second) // the sms step takes a second
	code, ok := srv.LastCode("+4917012345678")
	require.True(t, ok)
	assert.Equal(t, "4711", code)
}

func TestLOX24Errors(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)

	// Refused by the client's validation: exit 1 like the provider's own 400.
	r := runCLI(t, env, "lox24", "create", "--phone", "+4917012345678", "--route", "sms,voice")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "otpkit: invalid request: routing_strategy")
	assert.Empty(t, r.stdout)

	r = runCLI(t, env, "lox24", "get", "00000000-0000-4000-8000-000000000000")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "404")

	r = runCLI(t, without(env, envLOX24, envBaseURL), "lox24", "list", "--base-url", srv.URL)
	assert.Equal(t, exitUsage, r.code)

	bad := mockEnvironment(srv)
	bad[envLOX24] = "1234567:wrongkey"
	r = runCLI(t, bad, "lox24", "list")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "401")
	assert.NotContains(t, r.stderr, "wrongkey")
}

func TestFormatCost(t *testing.T) {
	cents, eur := 28, "EUR"
	assert.Equal(t, "0.28 EUR", formatCost(&cents, &eur))
	cents = 1205
	assert.Equal(t, "12.05", formatCost(&cents, nil))
	assert.Equal(t, "", formatCost(nil, &eur))
}
