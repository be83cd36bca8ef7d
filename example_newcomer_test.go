package otpkit_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// A client configured by the six lines "otpkit mock" prints, sourced into
// the environment (here set by hand).
func ExampleWithEnv() {
	srv := mock.NewServer()
	defer srv.Close()
	for name, value := range map[string]string{
		"OTPKIT_BASE_URL": srv.URL, "TRYVOX_API_KEY": mock.TryvoxAPIKey, "TRYVOX_TENANT_ID": mock.TryvoxTenantID,
	} {
		os.Setenv(name, value)
		defer os.Unsetenv(name)
	}

	client, err := otpkit.NewClient(otpkit.WithEnv())
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := client.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	fmt.Println(v.Status, err)
	// Output: pending <nil>
}

// An app that keeps its own LOX24 code compares with CodesEqual; the tries,
// the expiry and single use are its to enforce (the verify package's Guard
// does).
func ExampleCodesEqual() {
	kept := "482913" // the code the app sent with CreateVerifyCode
	fmt.Println(otpkit.CodesEqual(kept, "482913"), otpkit.CodesEqual(kept, "482914"))
	// Output: true false
}

// What an app does with a failed send: a request that never left can go to
// another provider; one that may have arrived must not be sent again.
func ExampleErrNotSent() {
	client, _ := otpkit.NewClient() // no credentials: nothing can be sent
	_, err := client.StartVerification(context.Background(), &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	switch {
	case errors.Is(err, otpkit.ErrNotSent):
		fmt.Println("not sent: try another provider")
	case errors.Is(err, otpkit.ErrUnavailable):
		fmt.Println("may have been sent: tell the user to wait for the code")
	}
	// Output: not sent: try another provider
}
