package verify_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

// A MemoryStore's keys are phone numbers, IP addresses and number prefixes:
// printed with any verb, directly or inside the app's own structs, it
// shows none of them.
func TestMemoryStorePrintsNoPersonalData(t *testing.T) {
	const phone, ip = "+4917012345678", "198.51.100.7"
	store := verify.NewMemoryStore()
	g, err := verify.NewGuard(store)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, g.AllowSend(ctx, phone, ip))
	_, err = g.Issue(ctx, phone)
	require.NoError(t, err)

	type app struct {
		Store *verify.MemoryStore
		Name  string
	}
	values := map[string]any{
		"store":       store,
		"in a struct": app{Store: store, Name: "shop"},
		"in a slice":  []*verify.MemoryStore{store},
		"in a map":    map[string]*verify.MemoryStore{"otp": store},
		"behind any":  []any{store},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{"4917012345678", "917012345678", "198.51.100", "c633647" /* "198.51.100.7" in %x */, "49170"} {
				assert.NotContains(t, out, secret, "%s of the store %s: %s", verb, name, out)
			}
		}
	}
	assert.Equal(t, "verify.MemoryStore", fmt.Sprintf("%v", store))
	assert.Equal(t, "verify.MemoryStore", fmt.Sprintf("%+v", store))
	assert.True(t, strings.HasPrefix(fmt.Sprintf("%#v", store), "&verify.MemoryStore{"), fmt.Sprintf("%#v", store))

	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("store", "store", store)
	assert.NotContains(t, logged.String(), "4917012345678")
}
