package verify_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

// No fmt verb prints a Guard's secret or a safe-listed number, nor reaches
// a Service's internals.
func TestNoVerbPrintsSecrets(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef-the-secret")
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithSecret(secret),
		verify.WithLimits(verify.Limits{SafeList: []string{"+4915112345678"}}))
	require.NoError(t, err)
	_, c := newMock(t)
	svc := newService(t, g, verify.Tryvox(c))
	var decimal strings.Builder
	for i, b := range secret[:8] {
		if i > 0 {
			decimal.WriteByte(' ')
		}
		fmt.Fprint(&decimal, b)
	}
	for _, v := range []any{g, svc} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "the-secret", "%s", verb)
			assert.NotContains(t, out, decimal.String(), "%s: the secret's bytes", verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", secret[:8]), "%s", verb)
			assert.NotContains(t, out, "15112345678", "%s", verb)
		}
	}
}
