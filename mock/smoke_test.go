package mock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

func TestSmoke(t *testing.T) {
	srv, c := newTest(t)
	v, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	code, ok := srv.LastCode("+4917012345678")
	require.True(t, ok)
	got, err := c.CheckCode(ctx(t), v.ID, code)
	require.NoError(t, err)
	require.Equal(t, otpkit.VerificationApproved, got.Status)

	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: "+491701234567", RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	srv.Advance(2 * time.Second)
	vc, err = c.GetVerifyCode(ctx(t), vc.ID)
	require.NoError(t, err)
	t.Logf("%+v", vc)

	st, err := c.SendCode(ctx(t), &otpkit.SendCodeRequest{To: "447123123456"})
	require.NoError(t, err)
	code, _ = srv.LastCode("447123123456")
	st, err = c.ValidateCode(ctx(t), st.RequestID, code)
	require.NoError(t, err)
	t.Logf("%+v %v", st, srv.Requests())
}
