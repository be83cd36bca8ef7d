package verify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// FuzzServiceCheckInput feeds Check refs and codes no Send made. Whatever
// they are, the answer is a clear refusal (otpkit.ErrInvalidRequest for a
// malformed input, otpkit.ErrNotFound for a ref that stands for nothing),
// never a verification, and no provider is asked: the providers' client
// points at a port where nothing listens, so a request would surface as
// another error.
func FuzzServiceCheckInput(f *testing.F) {
	for _, seed := range [][2]string{
		{"", "123456"}, {"AAAAAAAAAAAAAAAAAAAAAA", "123456"}, {"AAAAAAAAAAAAAAAAAAAAA=", "123456"},
		{"lox24-latest:abc", "123456"}, {"ref", "12a456"}, {"ref", ""}, {"ref", "１２３"},
		{"AAAAAAAAAAAAAAAAAAAAAA", "12345678901"}, {"../../etc/passwd", "000000"}, {"\x00", "\x00"},
	} {
		f.Add(seed[0], seed[1])
	}
	c, err := otpkit.NewClient(otpkit.WithBaseURL(refusedURL(f)), otpkit.WithRetryPolicy(otpkit.RetryPolicy{}),
		otpkit.WithLOX24Token("1234567:e3f3a5b4c6d7e8f9a0b1c2d3e4f5a6b7"), otpkit.WithTryvoxKey("tvx_sk_test_0123456789abcdef", "acc_123"),
		otpkit.WithDotdigitalAuth("user", "password"))
	if err != nil {
		f.Fatal(err)
	}
	g, err := verify.NewGuard(verify.NewMemoryStore())
	if err != nil {
		f.Fatal(err)
	}
	svc, err := verify.New(g, verify.Tryvox(c), verify.Dotdigital(c), verify.LOX24(c))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ref, code string) {
		err := svc.Check(context.Background(), ref, code)
		var ve *otpkit.ValidationError
		switch {
		case err == nil:
			t.Fatalf("Check(%q, %q) verified", ref, code)
		case errors.As(err, &ve), errors.Is(err, otpkit.ErrNotFound) && !errors.Is(err, otpkit.ErrUnavailable):
		default:
			t.Fatalf("Check(%q, %q): %v", ref, code, err)
		}
	})
}
