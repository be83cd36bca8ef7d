package verify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A Guard used alone reports its own decisions: a refused AllowSend is a
// send refused, Check a whole check operation, a refused AllowCheck a check
// refused; what it allows reports nothing.
func TestGuardAloneReportsItsDecisions(t *testing.T) {
	rec := &spanRecorder{}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	g, err := NewGuard(NewMemoryStore(), WithObserver(rec), WithClock(func() time.Time { return at }),
		WithLimits(Limits{RecipientSends: Rate{Count: 1, Per: time.Hour}, MaxFailures: 2}))
	require.NoError(t, err)
	ctx := context.Background()
	const fr = "+33612345678"

	require.NoError(t, g.AllowSend(ctx, secretNumber, secretIP))
	assert.Empty(t, rec.log, "an allowed send reports nothing: the app sends")
	require.Error(t, g.AllowSend(ctx, secretNumber, secretIP))
	require.Error(t, g.AllowSend(ctx, "0170 1234567", ""), "not canonical: no decision, no event")
	require.NoError(t, g.AllowSend(ctx, fr, ""))
	require.Error(t, g.AllowSend(ctx, fr, ""))

	code, err := g.Issue(ctx, secretNumber)
	require.NoError(t, err)
	bad := wrongDigits(code)
	require.ErrorIs(t, g.Check(ctx, secretNumber, bad), otpkit.ErrInvalidCode)
	require.ErrorIs(t, g.Check(ctx, secretNumber, bad), otpkit.ErrInvalidCode)
	var le *LimitError
	require.ErrorAs(t, g.Check(ctx, secretNumber, code), &le, "the budget of 2 is spent")
	require.ErrorAs(t, g.AllowCheck(ctx, secretNumber), &le)
	require.ErrorAs(t, g.RecordFailure(ctx, secretNumber), &le, "the check already happened: no second refusal")
	require.NoError(t, g.Unlock(ctx, secretNumber))
	require.NoError(t, g.AllowCheck(ctx, secretNumber))
	require.NoError(t, g.Check(ctx, secretNumber, code))
	require.ErrorIs(t, g.Check(ctx, secretNumber, code), otpkit.ErrNotFound)
	var ve *otpkit.ValidationError
	require.ErrorAs(t, g.Check(ctx, secretNumber, "12"), &ve)

	assert.Equal(t, []string{
		"observe send_refused in <nil>",
		"observe send_refused in <nil>",
		"start check", "observe wrong_code in check", "end wrong_code in check",
		"start check", "observe wrong_code in check", "end wrong_code in check",
		"start check", "observe check_refused in check", "end check_refused in check",
		"observe check_refused in <nil>",
		"start check", "observe verified in check", "end verified in check",
		"start check", "observe expired in check", "end expired in check",
		"start check", "observe check_failed in check", "end check_failed in check",
	}, rec.log)

	refused := rec.events[0]
	assert.Equal(t, Event{Kind: EventSendRefused, Op: OpSend, Region: "DE", Rule: RuleRecipientSends, Err: refused.Err}, refused)
	require.ErrorAs(t, refused.Err, &le)
	assert.Equal(t, RuleRecipientSends, le.Rule)
	assert.Equal(t, "FR", rec.events[1].Region)
	for _, i := range []int{4, 5} { // the check refused by Check, then by AllowCheck
		assert.Equal(t, EventCheckRefused, rec.events[i].Kind)
		assert.Equal(t, RuleFailures, rec.events[i].Rule)
		assert.Equal(t, OpCheck, rec.events[i].Op)
	}
	for _, e := range rec.events {
		assert.Empty(t, e.Provider, "the Guard alone knows no provider")
		assert.Zero(t, e.Latency, "nor any provider call")
		if e.Err != nil {
			assertNoSecret(t, e.Err.Error())
			assert.NotContains(t, e.Err.Error(), code)
		}
	}
}

// brokenStore fails every call of the Guard's public methods with a text
// that holds secrets, as a store's error may.
type brokenStore struct{ Store }

var errBroken = errors.New("redis: dial " + secretIP + ": key otpkit:" + secretNumber)

func (brokenStore) Shared() bool                                          { return false }
func (brokenStore) AllowSend(context.Context, time.Time, SendRules) error { return errBroken }
func (brokenStore) Issue(context.Context, time.Time, string, []byte, time.Duration) error {
	return errBroken
}
func (brokenStore) Check(context.Context, time.Time, string, []byte, CheckRules) error {
	return errBroken
}
func (brokenStore) AllowCheck(context.Context, time.Time, string, Rate) error    { return errBroken }
func (brokenStore) RecordFailure(context.Context, time.Time, string, Rate) error { return errBroken }
func (brokenStore) Unlock(context.Context, string) error                         { return errBroken }

func TestGuardAloneReportsStoreErrors(t *testing.T) {
	rec := &spanRecorder{}
	g, err := NewGuard(brokenStore{}, WithObserver(rec))
	require.NoError(t, err)
	ctx := context.Background()
	require.ErrorIs(t, g.AllowSend(ctx, secretNumber, secretIP), ErrStore)
	_, err = g.Issue(ctx, secretNumber)
	require.ErrorIs(t, err, ErrStore)
	require.ErrorIs(t, g.Check(ctx, secretNumber, "123456"), ErrStore)
	require.ErrorIs(t, g.AllowCheck(ctx, secretNumber), ErrStore)
	require.ErrorIs(t, g.RecordFailure(ctx, secretNumber), ErrStore)
	require.ErrorIs(t, g.Unlock(ctx, secretNumber), ErrStore)

	assert.Equal(t, []string{
		"observe store_error in <nil>", // AllowSend
		"observe store_error in <nil>", // Issue
		"start check", "observe store_error in check", "observe check_failed in check", "end check_failed in check",
		"observe store_error in <nil>", // AllowCheck
		"observe store_error in <nil>", // RecordFailure
		"observe store_error in <nil>", // Unlock
	}, rec.log)
	var ops []Op
	for _, e := range rec.events {
		ops = append(ops, e.Op)
		require.Error(t, e.Err)
		assert.ErrorIs(t, e.Err, ErrStore)
		assert.Equal(t, "verify: store failed", e.Err.Error())
	}
	assert.Equal(t, []Op{OpSend, "", OpCheck, OpCheck, OpCheck, OpCheck, ""}, ops,
		"Issue and Unlock are outside any operation")
}

// The public methods' reports cost nothing without an observer: each
// allocates what its core does, no more.
func TestGuardAloneWithoutObserverAddsNoAllocation(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector; run without -race")
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	g, err := NewGuard(NewMemoryStore(), WithClock(func() time.Time { return at }),
		WithLimits(Limits{RecipientSends: Rate{Count: 1, Per: time.Hour}, MaxFailures: 1}))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, g.AllowSend(ctx, secretNumber, ""))
	code, err := g.Issue(ctx, secretNumber)
	require.NoError(t, err)
	require.ErrorIs(t, g.Check(ctx, secretNumber, wrongDigits(code)), otpkit.ErrInvalidCode)

	for name, pair := range map[string][2]func(){
		"AllowSend refused": {
			func() { _ = g.AllowSend(ctx, secretNumber, "") },
			func() { _, _ = g.allowSend(ctx, secretNumber, "") }},
		"Check refused": {
			func() { _ = g.Check(ctx, secretNumber, code) },
			func() { _ = g.checkRecipient(ctx, secretNumber, code) }},
		"AllowCheck refused": {
			func() { _ = g.AllowCheck(ctx, secretNumber) },
			func() { // AllowCheck's body without its report
				subject, _ := g.subject(secretNumber)
				now, _ := g.now()
				_ = g.answer(g.store.AllowCheck(ctx, now, subject, storeRate(g.limits.failures())))
			}},
	} {
		public := testing.AllocsPerRun(50, pair[0])
		core := testing.AllocsPerRun(50, pair[1])
		assert.Equal(t, core, public, "%s: %v allocations, its core %v", name, public, core)
	}
}

// wrongDigits is a code of code's length that differs from it.
func wrongDigits(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
