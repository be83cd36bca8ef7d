package verify_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// One flow over three providers: Send applies the send rules and sends
// through the first provider that can; Check answers in one vocabulary,
// whichever provider sent the code. In production the store is
// redisstore.New(rdb) and the Guard gets verify.WithSecret; here a
// MemoryStore and the mock stand in.
func ExampleService() {
	srv := mock.NewServer() // stands in for the three providers
	defer srv.Close()
	client, err := srv.Client() // in production: otpkit.NewClient(otpkit.WithEnv())
	if err != nil {
		panic(err)
	}
	g, err := verify.NewGuard(verify.NewMemoryStore())
	if err != nil {
		panic(err)
	}
	svc, err := verify.New(g, verify.Tryvox(client), verify.Dotdigital(client), verify.LOX24(client))
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678", IP: "198.51.100.7"})
	if err != nil {
		panic(err)
	}
	fmt.Println("sent by", sent.Provider, "over", sent.Channel)

	typed, _ := srv.CodeFor(sent.ProviderID) // what the user read in the SMS
	if err := svc.Check(ctx, sent.Ref, typed); err != nil {
		fmt.Println("not verified:", err)
		return
	}
	fmt.Println("verified")
	fmt.Println("used up:", errors.Is(svc.Check(ctx, sent.Ref, typed), otpkit.ErrNotFound))
	// Output:
	// sent by tryvox over sms
	// verified
	// used up: true
}

// When Tryvox cannot deliver, the Service fails over to dotdigital: the
// failed delivery proves that nothing went out, so the user gets one code.
func ExampleService_Send_failover() {
	srv := mock.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	srv.SetOutcome("+4917012345678", otpkit.ChannelSMS, mock.OutcomeFailed) // Tryvox fails the sms
	g, _ := verify.NewGuard(verify.NewMemoryStore())
	svc, _ := verify.New(g, verify.Tryvox(client), verify.Dotdigital(client))

	sent, err := svc.Send(context.Background(), &verify.SendRequest{To: "+4917012345678"})
	if err != nil {
		panic(err)
	}
	fmt.Println("sent by", sent.Provider)
	for _, err := range sent.Failovers {
		fmt.Println("failed over:", errors.Is(err, otpkit.ErrDeliveryFailed))
	}
	fmt.Println("messages sent:", len(srv.Messages()))
	// Output:
	// sent by dotdigital
	// failed over: true
	// messages sent: 1
}

// What each answer of Check means for the user interface.
func ExampleService_Check_errors() {
	srv := mock.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	g, _ := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(verify.Limits{MaxFailures: 2}))
	svc, _ := verify.New(g, verify.Tryvox(client))
	ctx := context.Background()
	sent, _ := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	code, _ := srv.CodeFor(sent.ProviderID)
	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "111111"
	}

	for _, typed := range []string{"12a4", wrongCode, wrongCode, code} {
		err := svc.Check(ctx, sent.Ref, typed)
		var ice *verify.InvalidCodeError
		var le *verify.LimitError
		switch {
		case err == nil:
			fmt.Println("verified: sign the user in")
		case errors.As(err, &le):
			fmt.Println("too many wrong codes: try again later (rule " + string(le.Rule) + ")")
		case errors.As(err, &ice):
			fmt.Println("wrong code,", ice.AttemptsLeft, "attempts left")
		case errors.Is(err, otpkit.ErrInvalidCode):
			fmt.Println("wrong code")
		case errors.Is(err, otpkit.ErrMaxAttempts), errors.Is(err, otpkit.ErrNotFound):
			fmt.Println("this code no longer works: offer to send a new one")
		case errors.Is(err, otpkit.ErrInvalidRequest):
			fmt.Println("not a code: ask for the digits only")
		default:
			fmt.Println("could not check now: try again in a moment")
		}
	}
	// Output:
	// not a code: ask for the digits only
	// wrong code, 4 attempts left
	// wrong code, 3 attempts left
	// too many wrong codes: try again later (rule failures)
}
