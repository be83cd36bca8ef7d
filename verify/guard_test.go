package verify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// sharedStore is a store that says it is shared between processes.
type sharedStore struct{ *verify.MemoryStore }

func (sharedStore) Shared() bool { return true }

// opaqueStore is a store that does not say whether it is shared.
type opaqueStore struct{ verify.Store }

func TestNewGuardRefusesWhatMakesNoSense(t *testing.T) {
	var ve *otpkit.ValidationError
	_, err := verify.NewGuard(nil)
	require.ErrorAs(t, err, &ve)

	mem := verify.NewMemoryStore()
	for _, l := range []verify.Limits{
		{CodeLength: 3}, {CodeLength: 11}, {CodeTTL: -time.Second}, {MaxAttempts: -1},
		{PrefixDigits: 16}, {PrefixDigits: -1},
	} {
		_, err := verify.NewGuard(mem, verify.WithLimits(l))
		require.ErrorAs(t, err, &ve, "%+v", l)
		assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
	}
	_, err = verify.NewGuard(mem, verify.WithSecret(make([]byte, 31)))
	require.ErrorAs(t, err, &ve)
	_, err = verify.NewGuard(mem, verify.WithClock(nil))
	require.ErrorAs(t, err, &ve)
	_, err = verify.NewGuard(mem, nil)
	require.ErrorAs(t, err, &ve)

	_, err = verify.NewGuard(sharedStore{mem})
	require.ErrorAs(t, err, &ve, "a shared store needs a secret")
	assert.Equal(t, "secret", ve.Field)
	_, err = verify.NewGuard(opaqueStore{mem})
	require.ErrorAs(t, err, &ve, "a store that does not say is taken as shared")
	_, err = verify.NewGuard(sharedStore{mem}, verify.WithSecret(make([]byte, 32)))
	require.NoError(t, err)
	_, err = verify.NewGuard(mem)
	require.NoError(t, err, "one process needs no secret")
}

func TestLimitsDefaults(t *testing.T) {
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(verify.Limits{
		MaxFailures: -1, SendInterval: -1, IPSends: verify.Rate{Count: -1}, PrefixSends: verify.Rate{Count: 7},
		CodeTTL: 1500 * time.Microsecond,
	}))
	require.NoError(t, err)
	l := g.Limits()
	assert.Equal(t, 6, l.CodeLength)
	assert.Equal(t, 2*time.Millisecond, l.CodeTTL, "rounded up to whole milliseconds")
	assert.Equal(t, 5, l.MaxAttempts)
	assert.Equal(t, -1, l.MaxFailures)
	assert.Equal(t, time.Duration(-1), l.SendInterval)
	assert.Equal(t, verify.Rate{Count: 5, Per: time.Hour}, l.RecipientSends)
	assert.Equal(t, verify.Rate{Count: -1, Per: -1}, l.IPSends)
	assert.Equal(t, verify.Rate{Count: 7, Per: time.Hour}, l.PrefixSends, "a zero Per takes the default")
	assert.Equal(t, 8, l.PrefixDigits)

	// With every field zero: the documented defaults. No send interval,
	// so RecipientSends alone says how many sends a recipient gets.
	g, err = verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(verify.Limits{RecipientSends: verify.Rate{Count: 5, Per: time.Hour}}))
	require.NoError(t, err)
	l = g.Limits()
	assert.Equal(t, time.Duration(-1), l.SendInterval, "the send interval is off unless set")
	assert.Equal(t, 10, l.MaxFailures)
	assert.Equal(t, 24*time.Hour, l.FailureWindow)
	assert.Equal(t, 10*time.Minute, l.CodeTTL)
	ctx := context.Background()
	allowed := 0
	for range 8 {
		if g.AllowSend(ctx, "+4917012345678", "") == nil {
			allowed++
		}
	}
	assert.Equal(t, 5, allowed, "5 sends an hour, one right after the other")
}

func TestCodesAreRandomDigits(t *testing.T) {
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(verify.Limits{CodeLength: 4}))
	require.NoError(t, err)
	seen := map[string]bool{}
	for i := range 200 {
		code, err := g.Issue(context.Background(), fmt.Sprintf("+49170%07d", i))
		require.NoError(t, err)
		require.Regexp(t, `^[0-9]{4}$`, code)
		seen[code] = true
	}
	assert.Greater(t, len(seen), 150, "200 codes of 4 digits barely repeat")
}

// failingStore fails every call, as Redis does when it is down.
type failingStore struct{ verify.Store }

func (failingStore) Shared() bool { return false }
func (failingStore) AllowSend(context.Context, time.Time, verify.SendRules) error {
	return fmt.Errorf("dial tcp: connection refused")
}
func (failingStore) Check(context.Context, time.Time, string, []byte, verify.CheckRules) error {
	return fmt.Errorf("i/o timeout")
}
func (failingStore) Issue(context.Context, time.Time, string, []byte, time.Duration) error {
	return fmt.Errorf("i/o timeout")
}

func TestFailsClosed(t *testing.T) {
	g, err := verify.NewGuard(failingStore{})
	require.NoError(t, err)
	ctx := context.Background()
	err = g.Check(ctx, "+4917012345678", "123456")
	require.Error(t, err)
	assert.NotErrorIs(t, err, otpkit.ErrInvalidCode)
	assert.Contains(t, err.Error(), "i/o timeout")
	require.Error(t, g.AllowSend(ctx, "+4917012345678", ""))
	code, err := g.Issue(ctx, "+4917012345678")
	require.Error(t, err)
	assert.Empty(t, code)
}

func TestNoSecretInFormatting(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef-very-secret")
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithSecret(key))
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprintf("%v", g), fmt.Sprintf("%+v", g), fmt.Sprintf("%#v", g)} {
		assert.NotContains(t, s, "very-secret")
		assert.NotContains(t, s, "0123456789abcdef")
	}
}

func TestClockOutOfRange(t *testing.T) {
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithClock(func() time.Time { return time.Time{} }))
	require.NoError(t, err)
	var ve *otpkit.ValidationError
	require.ErrorAs(t, g.AllowSend(context.Background(), "+4917012345678", ""), &ve)
}

// FuzzCheck: arbitrary recipients and codes never panic and never verify a
// code that was not issued.
func FuzzCheck(f *testing.F) {
	f.Add("+4917012345678", "123456")
	f.Add("", "")
	f.Add("x\x00y", "12345\x00")
	f.Add("+491701234567\xff", "000000")
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithClock(func() time.Time { return start }),
		verify.WithLimits(verify.Limits{MaxFailures: -1}))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, recipient, code string) {
		ctx := context.Background()
		issued, err := g.Issue(ctx, recipient)
		if err != nil {
			require.ErrorIs(t, err, otpkit.ErrInvalidRequest)
			require.Error(t, g.Check(ctx, recipient, code))
			return
		}
		err = g.Check(ctx, recipient, code)
		if code != issued {
			require.Error(t, err, "a wrong code never verifies")
		} else {
			require.NoError(t, err)
		}
	})
}
