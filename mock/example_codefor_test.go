package mock_test

import (
	"context"
	"fmt"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// Two flows to one number: CodeFor gives each flow its own code, where
// LastCode would give the newest of either.
func ExampleHandler_CodeFor() {
	srv := mock.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	vc, _ := client.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: "+4917012345678", Code: "482913",
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
	v, _ := client.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})

	lox24Code, _ := srv.CodeFor(vc.ID) // found at once, though LOX24 delivers 1 s later
	tryvoxCode, _ := srv.CodeFor(v.ID)
	_, err := client.CheckCode(ctx, v.ID, tryvoxCode)
	fmt.Println(lox24Code, err)
	// Output: 482913 <nil>
}
