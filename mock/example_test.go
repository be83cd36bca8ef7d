package mock_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// A Tryvox verification from start to approval, then expiry of another on
// the mock's clock.
func Example() {
	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	v, _ := client.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	code, _ := srv.LastCode("+4917012345678") // what the user received
	v, _ = client.CheckCode(ctx, v.ID, code)
	fmt.Println(v.Status)

	v, _ = client.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	srv.Advance(11 * time.Minute)
	_, err := client.CheckCode(ctx, v.ID, code)
	fmt.Println(errors.Is(err, otpkit.ErrNotFound))
	// Output:
	// approved
	// true
}

// LOX24 delivers on the mock's clock: here telegram fails after its
// timeout and sms delivers a second later.
func ExampleHandler_SetOutcome() {
	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	srv.SetOutcome("+491701234567", otpkit.ChannelTelegram, mock.OutcomeFailed)
	vc, _ := client.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: "+491701234567",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram}, {Channel: otpkit.ChannelSMS}}})
	srv.Advance(31 * time.Second)
	vc, _ = client.GetVerifyCode(ctx, vc.ID)
	fmt.Println(vc.Status, *vc.DeliveredChannel, *vc.Cost, *vc.Currency)
	for _, h := range vc.History {
		fmt.Println(h.Channel, h.Status)
	}
	// Output:
	// Success sms 13 EUR
	// telegram Failed
	// sms Success
}

// A fault answers the next start with 503 and a Retry-After.
func ExampleHandler_InjectFault() {
	srv := mock.NewServer()
	defer srv.Close()
	client, _ := srv.Client()

	srv.InjectFault("POST /v1/verify/start", mock.Fault{Status: 503, RetryAfter: 2 * time.Second})
	_, err := client.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	var apiErr *otpkit.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.RetryAfter, errors.Is(err, otpkit.ErrServer))
	}
	fmt.Println(srv.Requests()[0].Fault)
	// Output:
	// 503 2s true
	// true
}
