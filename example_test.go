package otpkit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// The examples run against the mock, so they show real answers; in
// production, drop the mock and give NewClient your credentials.

func ExampleNewClient() {
	client, err := otpkit.NewClient(
		otpkit.WithLOX24Token("1234567:e3f3a759b6677959b6ebfcxxxxxxxxxx"),
		otpkit.WithTryvoxKey("tvx_sk_live_example", "acc_123"),
		otpkit.WithDotdigitalAuth("user", "password"),
		otpkit.WithTimeout(10*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client) // credentials never print
	// Output: otpkit.Client{lox24:true tryvox:true dotdigital:true}
}

// A Tryvox verification: start it, then check what the user typed. A wrong
// code may be retried until the fifth.
func ExampleClient_CheckCode() {
	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	v, err := client.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("started:", v.Status, "expires", v.ExpiresAt.Format(time.Kitchen))

	_, err = client.CheckCode(ctx, v.ID, "000000")
	fmt.Println("wrong code:", errors.Is(err, otpkit.ErrInvalidCode))

	code, _ := srv.LastCode("+4917012345678") // the SMS the user received
	v, err = client.CheckCode(ctx, v.ID, code)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("right code:", v.Status)

	_, err = client.CheckCode(ctx, v.ID, code)
	fmt.Println("again:", errors.Is(err, otpkit.ErrNotFound))
	// Output:
	// started: pending expires 10:10AM
	// wrong code: true
	// right code: approved
	// again: true
}

// LOX24 delivers a code over a routing strategy, falling back to the next
// channel when one fails; the caller compares the code itself.
func ExampleClient_CreateVerifyCode() {
	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)))
	defer srv.Close()
	srv.SetOutcome("+491701234567", otpkit.ChannelTelegram, mock.OutcomeFailed) // no Telegram account
	client, _ := srv.Client()
	ctx := context.Background()

	vc, err := client.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{
		Phone: "+491701234567",
		Code:  "4821",
		Lang:  "EN",
		RoutingStrategy: []otpkit.RoutingStep{
			{Channel: otpkit.ChannelTelegram, TimeoutSec: 30},
			{Channel: otpkit.ChannelSMS, Template: "Your code is {{code}}"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", vc.Status)

	srv.Advance(time.Minute) // telegram times out after 30 s, sms takes 1 s
	vc, err = client.GetVerifyCode(ctx, vc.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("now:", vc.Status, "over", *vc.DeliveredChannel, "costing", *vc.Cost, "cents", *vc.Currency)
	for _, h := range vc.History {
		fmt.Println(" ", h.Channel, h.Status)
	}
	fmt.Println("user typed 4821:", vc.Matches("4821"))
	fmt.Println("user typed 4812:", vc.Matches("4812"))
	// Output:
	// created: New
	// now: Success over sms costing 13 cents EUR
	//   telegram Failed
	//   sms Success
	// user typed 4821: true
	// user typed 4812: false
}

// dotdigital request ids are single use: after a successful validation the
// provider answers 204, which is ErrNotFound.
func ExampleClient_ValidateCode() {
	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	sent, err := client.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent:", sent.Status)

	st, _ := client.ValidateCode(ctx, sent.RequestID, "000000")
	fmt.Println("wrong code:", st.Status)

	code, _ := srv.LastCode("447123123456")
	st, _ = client.ValidateCode(ctx, sent.RequestID, code)
	fmt.Println("right code:", st.Status, st.Verified != nil)

	_, err = client.ValidateCode(ctx, sent.RequestID, code)
	fmt.Println("re-used:", errors.Is(err, otpkit.ErrNotFound))
	// Output:
	// sent: CodeNotVerified
	// wrong code: CodeNotVerified
	// right code: CodeVerified true
	// re-used: true
}

// Every provider error is an *APIError with the provider's own code and
// field problems; errors.Is matches the sentinels.
func ExampleAPIError() {
	srv := mock.NewServer()
	defer srv.Close()
	client, _ := srv.Client()

	_, err := client.GetVerifyCode(context.Background(), "d7ad7539-fb8f-4dbb-a7f7-7c40babec969")
	var apiErr *otpkit.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Provider, apiErr.StatusCode, apiErr.Message, len(apiErr.RequestID))
	}
	fmt.Println(errors.Is(err, otpkit.ErrNotFound))
	// Output:
	// lox24 404 Not Found 32
	// true
}

// Requests that break a documented rule are refused before anything is
// sent, with the field at fault.
func ExampleValidationError() {
	client, _ := otpkit.NewClient(otpkit.WithTryvoxKey("tvx_sk_test_example", "acc_123"))
	_, err := client.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "0170 1234567", Channel: otpkit.ChannelSMS})
	var invalid *otpkit.ValidationError
	if errors.As(err, &invalid) {
		fmt.Println(invalid.Field, "-", invalid.Reason)
	}
	fmt.Println(errors.Is(err, otpkit.ErrInvalidRequest))
	// Output:
	// to - must be an E.164 phone number
	// true
}

// An app's LOX24 webhook endpoint. Here the mock sends the events; in
// production LOX24 does, to the URL (with its token) registered there.
func ExampleNewLOX24WebhookHandler() {
	hook := otpkit.NewLOX24WebhookHandler(func(ctx context.Context, ev *otpkit.LOX24Event) error {
		// Answer fast: record the event (or queue the work) and return.
		fmt.Println(ev.Name, ev.VerifyCode.Status)
		if ev.Name == otpkit.EventVerifyCodeFailed {
			fmt.Println("offer the user another channel")
		}
		return nil
	}, otpkit.WithWebhookToken("wh-secret"))
	endpoint := httptest.NewServer(hook)
	defer endpoint.Close()

	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)),
		mock.WithLOX24Webhook(endpoint.URL+"/hooks/lox24?token=wh-secret"))
	defer srv.Close()
	client, _ := srv.Client()

	_, err := client.CreateVerifyCode(context.Background(), &otpkit.CreateVerifyCodeRequest{
		Phone: "+4915112345678", RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	if err != nil {
		log.Fatal(err)
	}
	srv.Advance(time.Second) // the sms step completes
	// Output:
	// verify_code.channel.updated In Progress
	// verify_code.channel.sent In Progress
	// verify_code.channel.success Success
	// verify_code.success Success
}
