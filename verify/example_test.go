package verify_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// A Guard on a MemoryStore: allow a send, issue a code (send it with your
// provider, e.g. LOX24's CreateVerifyCode with IsCodeDeleted), then check
// what the user typed.
func ExampleGuard() {
	ctx := context.Background()
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(verify.Limits{MaxAttempts: 3}))
	if err != nil {
		panic(err)
	}
	const phone = "+4917012345678"
	if err := g.AllowSend(ctx, phone, "198.51.100.7"); err != nil {
		var le *verify.LimitError
		if errors.As(err, &le) {
			fmt.Println("try again in", le.RetryAfter)
		}
		return
	}
	code, err := g.Issue(ctx, phone)
	if err != nil {
		panic(err)
	}
	// ... send code to phone ...

	typed := "1" + code[1:] // the user mistyped the first digit
	if typed == code {
		typed = "2" + code[1:]
	}
	var ice *verify.InvalidCodeError
	if errors.As(g.Check(ctx, phone, typed), &ice) {
		fmt.Println("wrong code,", ice.AttemptsLeft, "attempts left")
	}
	fmt.Println("right code:", g.Check(ctx, phone, code))
	fmt.Println("used up:", errors.Is(g.Check(ctx, phone, code), otpkit.ErrNotFound))
	// Output:
	// wrong code, 2 attempts left
	// right code: <nil>
	// used up: true
}
