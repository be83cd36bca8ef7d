package otpkit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A base URL that is refused is never echoed with its user info or query,
// however it is broken.
func TestBaseURLErrorHidesUserInfoAndQuery(t *testing.T) {
	for _, u := range []string{
		"https://user:S3CR3T@x@example.com\x7f",
		"https://user:pa@S3CR3T@example.com/%zz",
		"https://user:S3CR3T/x@example.com:bad",
		"https://example.com:bad/?token=S3CR3T",
		"https://example.com/%zz?token=S3CR3T",
		"https://example.com/%zz#S3CR3T",
		"ftp://user:S3CR3T@example.com",
		"ftp://example.com/?key=S3CR3T",
		"user:S3CR3T@example.com",
		"//user:S3CR3T?@example.com/%zz",
		"https://example.com?token=S3CR3T",
		"https://user:S3CR3T@example.com",
	} {
		for _, opt := range []otpkit.Option{otpkit.WithBaseURL(u), otpkit.WithLOX24URL(u), otpkit.WithTryvoxURL(u), otpkit.WithDotdigitalURL(u)} {
			_, err := otpkit.NewClient(opt)
			require.Error(t, err, "%q", u)
			assert.NotContains(t, err.Error(), "S3CR3T", "%q", u)
		}
	}
}
