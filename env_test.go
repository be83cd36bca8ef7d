package otpkit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// envNames are the variables WithEnv reads; every test sets all of them so
// that the machine's own environment cannot leak in.
var envNames = []string{"OTPKIT_BASE_URL", "LOX24_TOKEN", "TRYVOX_API_KEY", "TRYVOX_TENANT_ID", "DOTDIGITAL_USERNAME", "DOTDIGITAL_PASSWORD"}

func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, name := range envNames {
		t.Setenv(name, vars[name])
	}
}

// mockEnv is what "otpkit mock" prints for srv.
func mockEnv(srv *mock.Server) map[string]string {
	return map[string]string{
		"OTPKIT_BASE_URL":     srv.URL,
		"LOX24_TOKEN":         mock.LOX24Token,
		"TRYVOX_API_KEY":      mock.TryvoxAPIKey,
		"TRYVOX_TENANT_ID":    mock.TryvoxTenantID,
		"DOTDIGITAL_USERNAME": mock.DotdigitalUsername,
		"DOTDIGITAL_PASSWORD": mock.DotdigitalPassword,
	}
}

// A client built from the six variables alone reaches every provider of
// the mock.
func TestWithEnvAgainstTheMock(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	setEnv(t, mockEnv(srv))

	c, err := otpkit.NewClient(otpkit.WithEnv())
	require.NoError(t, err)
	ctx := context.Background()
	vc, err := c.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: "+491701234567",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	code, ok := srv.CodeFor(v.ID)
	require.True(t, ok)
	_, err = c.CheckCode(ctx, v.ID, code)
	require.NoError(t, err)
	sent, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	require.NoError(t, err)
	code, ok = srv.CodeFor(sent.RequestID)
	require.True(t, ok)
	st, err := c.ValidateCode(ctx, sent.RequestID, code)
	require.NoError(t, err)
	assert.Equal(t, otpkit.CodeVerified, st.Status)
	_, ok = srv.CodeFor(vc.ID)
	assert.True(t, ok)
}

// A provider without variables is skipped; options after WithEnv win.
func TestWithEnvSkipsAndIsOverridden(t *testing.T) {
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	env := mockEnv(srv)
	delete(env, "LOX24_TOKEN")
	delete(env, "DOTDIGITAL_USERNAME")
	delete(env, "DOTDIGITAL_PASSWORD")
	setEnv(t, env)

	c, err := otpkit.NewClient(otpkit.WithEnv())
	require.NoError(t, err)
	assert.Equal(t, "otpkit.Client{lox24:false tryvox:true dotdigital:false}", fmtClient(c))
	_, err = c.SendCode(context.Background(), &otpkit.SendCodeRequest{To: "447123123456"})
	assert.ErrorIs(t, err, otpkit.ErrMissingCredentials)
	_, err = c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)

	// Options after it override the environment: a wrong key is refused by
	// the mock, so the call proves which key was sent.
	c, err = otpkit.NewClient(otpkit.WithEnv(), otpkit.WithTryvoxKey("tvx_sk_test_other", "acc_other"))
	require.NoError(t, err)
	_, err = c.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	assert.ErrorIs(t, err, otpkit.ErrUnauthorized)
	c, err = otpkit.NewClient(otpkit.WithEnv(), otpkit.WithBaseURL("http://127.0.0.1:1"), otpkit.WithRetryPolicy(otpkit.RetryPolicy{}))
	require.NoError(t, err)
	_, err = c.GetStatus(context.Background(), "ver_1")
	assert.ErrorIs(t, err, otpkit.ErrUnavailable, "the later base URL was used")

	setEnv(t, nil)
	c, err = otpkit.NewClient(otpkit.WithEnv())
	require.NoError(t, err, "nothing set: nothing configured")
	assert.Equal(t, "otpkit.Client{lox24:false tryvox:false dotdigital:false}", fmtClient(c))
}

// A set but unusable variable is an error naming it, never its value.
func TestWithEnvMalformed(t *testing.T) {
	const secret = "s3cr3t-value-9f8e"
	for _, tc := range []struct {
		name  string
		env   map[string]string
		names string
	}{
		{"LOX24 token without colon", map[string]string{"LOX24_TOKEN": secret}, "LOX24_TOKEN"},
		{"Tryvox key with a space", map[string]string{"TRYVOX_API_KEY": "tvx " + secret, "TRYVOX_TENANT_ID": "acc_1"}, "TRYVOX_API_KEY"},
		{"Tryvox tenant with a newline", map[string]string{"TRYVOX_API_KEY": secret, "TRYVOX_TENANT_ID": "acc\n" + secret}, "TRYVOX_TENANT_ID"},
		{"Tryvox key without tenant", map[string]string{"TRYVOX_API_KEY": secret}, "TRYVOX_TENANT_ID"},
		{"Tryvox tenant without key", map[string]string{"TRYVOX_TENANT_ID": secret}, "TRYVOX_API_KEY"},
		{"dotdigital user with a colon", map[string]string{"DOTDIGITAL_USERNAME": "u:" + secret, "DOTDIGITAL_PASSWORD": secret}, "DOTDIGITAL_USERNAME"},
		{"dotdigital password without user", map[string]string{"DOTDIGITAL_PASSWORD": secret}, "DOTDIGITAL_USERNAME"},
		{"base URL not absolute", map[string]string{"OTPKIT_BASE_URL": "127.0.0.1:8080/" + secret}, "OTPKIT_BASE_URL"},
		{"base URL with credentials", map[string]string{"OTPKIT_BASE_URL": "http://user:" + secret + "@127.0.0.1"}, "OTPKIT_BASE_URL"},
		{"base URL with a query", map[string]string{"OTPKIT_BASE_URL": "http://127.0.0.1/?k=" + secret}, "OTPKIT_BASE_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			c, err := otpkit.NewClient(otpkit.WithEnv())
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tc.names)
			assert.Contains(t, err.Error(), "WithEnv")
			assert.NotContains(t, err.Error(), secret)
			assert.False(t, strings.Contains(err.Error(), "s3cr3t"), err.Error())
		})
	}
}

func fmtClient(c *otpkit.Client) string { return fmt.Sprint(c) }
