package verify_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// A log line per event of the Service: a failover, the send, a wrong code
// and the right one. No line holds the number, the code or the ref.
func ExampleNewSlogObserver() {
	srv := mock.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	srv.SetOutcome("+4917012345678", otpkit.ChannelSMS, mock.OutcomeFailed) // Tryvox fails the sms

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "latency" {
				return slog.Attr{} // they change from run to run
			}
			return a
		},
	}))
	g, _ := verify.NewGuard(verify.NewMemoryStore(), verify.WithObserver(verify.NewSlogObserver(logger)))
	svc, _ := verify.New(g, verify.Tryvox(client), verify.Dotdigital(client))

	ctx := context.Background()
	sent, _ := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	code, _ := srv.CodeFor(sent.ProviderID)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_ = svc.Check(ctx, sent.Ref, wrong)
	_ = svc.Check(ctx, sent.Ref, code)
	// Output:
	// level=WARN msg="verify: failover" event=failover op=send provider=tryvox channel=sms err="otpkit: delivery failed (tryvox HTTP 502)"
	// level=INFO msg="verify: sent" event=sent op=send provider=dotdigital channel=sms region=DE
	// level=INFO msg="verify: wrong code" event=wrong_code op=check provider=dotdigital channel=sms region=DE err="verify: invalid code; 4 attempts left"
	// level=INFO msg="verify: verified" event=verified op=check provider=dotdigital channel=sms region=DE
}
