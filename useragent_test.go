package otpkit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A User-Agent product with a control character is refused when the
// client is made, not by every call later.
func TestWithUserAgentRefusesControlCharacters(t *testing.T) {
	for _, p := range []string{"app\x00", "app\x7f", "app\x1b[31m", "a\rb", "a\nb", "a\tb", "a\u0085b"} {
		_, err := otpkit.NewClient(otpkit.WithUserAgent(p))
		require.Error(t, err, "%q", p)
		assert.Contains(t, err.Error(), "WithUserAgent")
	}
	for _, p := range []string{"my-app/1.2 (+https://example.com)", "", "  ", "café/1"} {
		_, err := otpkit.NewClient(otpkit.WithUserAgent(p))
		assert.NoError(t, err, "%q", p)
	}
}
