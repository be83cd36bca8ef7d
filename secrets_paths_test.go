package otpkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// Secrets through the paths that skip Format and LogValue: fmt cannot call
// Format on a value in an unexported field, and slog's JSON handler encodes
// a value inside a slice or struct with encoding/json.

// allVerbs are the verbs fmt prints a value with, flags included.
var allVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

func TestClientCredentialsInUnexportedFields(t *testing.T) {
	c, err := otpkit.NewClient(otpkit.WithLOX24Token(testLOX24Token), otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
		otpkit.WithDotdigitalAuth(testDDUser, testDDPassword))
	require.NoError(t, err)
	type holder struct {
		name   string
		client otpkit.Client
		ptr    *otpkit.Client
		list   []otpkit.Client
		m      map[string]otpkit.Client
		any    any
	}
	values := map[string]any{
		"unexported Client":  holder{name: "x", client: *c, ptr: c, list: []otpkit.Client{*c}, m: map[string]otpkit.Client{"c": *c}, any: *c},
		"*unexported Client": &holder{client: *c},
		"[]holder":           []holder{{client: *c}},
		"exported Client":    struct{ C otpkit.Client }{*c},
		"zero Client":        otpkit.Client{},
	}
	for name, v := range values {
		for _, verb := range allVerbs {
			requireNoSecret(t, name+" as "+verb, fmt.Sprintf(verb, v))
		}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("value", "v", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("value", "v", v)
		requireNoSecret(t, name+" logged with slog", buf.String())
	}
	_, err = (&otpkit.Client{}).GetStatus(context.Background(), "ver_1")
	require.ErrorIs(t, err, otpkit.ErrMissingCredentials, "a zero Client has no credentials")
}

// A CreateVerifyCodeRequest logged by itself (or in an slog group) shows no
// code with any verb or handler. encoding/json writes its wire form, code
// included: LOX24's documented create example must encode back to
// equivalent JSON, so slog's JSON handler shows the code of a request
// nested in a slice or struct (the README says so).
func TestCreateVerifyCodeRequestLogged(t *testing.T) {
	req := otpkit.CreateVerifyCodeRequest{Phone: "+491701234567", Code: secretLOX24Code,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}}
	for name, v := range map[string]any{
		"CreateVerifyCodeRequest itself":  req,
		"*CreateVerifyCodeRequest itself": &req,
		"slog.Group holding the request":  slog.GroupValue(slog.Any("r", req)),
	} {
		requireNoSecretFormatted(t, name, v)
	}

	// LOX24's documented create example, as a fixture.
	const example = `{"phone":"+491701234567","code":"1234","payload":"yours payload here","lang":"EN",
		"routing_strategy":[{"channel":"telegram","timeout_sec":30},
		{"channel":"voice","sender_id":"LOX24","template":"Your code is {{code}}"},
		{"channel":"sms","sender_id":"LOX24","template":"Your code is {{code}}"}]}`
	var decoded otpkit.CreateVerifyCodeRequest
	require.NoError(t, json.Unmarshal([]byte(example), &decoded))
	assert.Equal(t, "1234", decoded.Code)
	encoded, err := json.Marshal(decoded)
	require.NoError(t, err)
	assert.JSONEq(t, example, string(encoded), "the wire form keeps the code")

	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	req.Phone = "+491701234560"
	vc, err := c.CreateVerifyCode(context.Background(), &req)
	require.NoError(t, err)
	require.True(t, vc.Matches(secretLOX24Code), "the code is sent in clear")
}

// A mock.Message logged with slog's JSON handler shows no code or text.
func TestMockMessageTopLevelSlogJSON(t *testing.T) {
	m := mock.Message{ID: "ver_1", Provider: otpkit.ProviderTryvox, Channel: otpkit.ChannelSMS, To: "+4917012345678",
		Code: secretCheckCode, Text: "Your code is " + secretCheckCode}
	requireNoSecretFormatted(t, "mock.Message", m)
	requireNoSecretFormatted(t, "*mock.Message", &m)
}
