package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
)

// Rule names the limit that refused a request in a *LimitError.
type Rule string

// The rules a Guard enforces.
const (
	// RuleSendInterval: a code was sent to the recipient less than
	// Limits.SendInterval ago.
	RuleSendInterval Rule = "send_interval"
	// RuleRecipientSends: the recipient has had Limits.RecipientSends.Count
	// codes within Limits.RecipientSends.Per.
	RuleRecipientSends Rule = "recipient_sends"
	// RuleIPSends: the client's IP address (its /64 network for IPv6) has
	// asked for Limits.IPSends.Count codes within Limits.IPSends.Per.
	RuleIPSends Rule = "ip_sends"
	// RulePrefixSends: numbers that start with the recipient's first
	// Limits.PrefixDigits digits have had Limits.PrefixSends.Count codes
	// within Limits.PrefixSends.Per.
	RulePrefixSends Rule = "prefix_sends"
	// RuleFailures: the recipient has entered Limits.MaxFailures wrong codes
	// within Limits.FailureWindow; sends and checks are refused until the
	// window passes or Guard.Unlock is called.
	RuleFailures Rule = "failures"
	// RuleCountry: the recipient's region is not in Limits.Countries, or
	// is in Limits.BlockedCountries. RetryAfter is 0: it will never be
	// allowed under these Limits.
	RuleCountry Rule = "country"
	// RuleNumberType: Limits.NumberTypes refuses the recipient's type of
	// number on the channel asked for (a premium-rate number; an sms to a
	// fixed line). RetryAfter is 0: it will never be allowed under these
	// Limits, though another channel may be.
	RuleNumberType Rule = "number_type"
	// RuleConversion: too few of the recent sends to the recipient's
	// country or number prefix were verified (Limits.ConversionFloor within
	// Limits.ConversionWindow), the mark of SMS pumping.
	RuleConversion Rule = "conversion"
)

// permanent reports whether r refuses whatever the time: a rule on the
// number itself.
func (r Rule) permanent() bool { return r == RuleCountry || r == RuleNumberType }

// LimitError is a request a Guard refused because a rule does not allow it
// now. It satisfies errors.Is(err, otpkit.ErrRateLimited).
type LimitError struct {
	// Rule is the rule that refused. When the failure budget is spent it is
	// RuleFailures; otherwise, of several refusing rules, the one that
	// refuses longest.
	Rule Rule
	// RetryAfter is exact: the same request made RetryAfter later (by the
	// Guard's clock) is allowed, if nothing else changed in between. When
	// several rules refuse, it waits for the last of them. It is 0 for
	// RuleCountry and RuleNumberType: waiting will not help.
	RetryAfter time.Duration
}

// Error names the rule and the wait, never the recipient.
func (e *LimitError) Error() string {
	if e.RetryAfter == 0 && e.Rule.permanent() {
		return fmt.Sprintf("verify: refused by rule %s; the number is not allowed", e.Rule)
	}
	return fmt.Sprintf("verify: refused by rule %s; retry after %s", e.Rule, e.RetryAfter)
}

// Is matches otpkit.ErrRateLimited.
func (e *LimitError) Is(target error) bool { return target == otpkit.ErrRateLimited }

// InvalidCodeError is a wrong code for a live code that still has attempts
// left. It satisfies errors.Is(err, otpkit.ErrInvalidCode). The wrong code
// that uses up the last attempt is not an InvalidCodeError: it satisfies
// otpkit.ErrMaxAttempts instead.
type InvalidCodeError struct {
	// AttemptsLeft is how many more checks the code itself allows.
	AttemptsLeft int
}

// Error says how many attempts are left, never the code.
func (e *InvalidCodeError) Error() string {
	return fmt.Sprintf("verify: invalid code; %d attempts left", e.AttemptsLeft)
}

// Is matches otpkit.ErrInvalidCode.
func (e *InvalidCodeError) Is(target error) bool { return target == otpkit.ErrInvalidCode }

// The Guard's answers for a code that cannot be checked. Stores return
// otpkit.ErrMaxAttempts and otpkit.ErrNotFound (possibly wrapped); the Guard
// answers with these, which satisfy the same sentinels.
var (
	errAttemptsUsedUp = fmt.Errorf("verify: the code's attempts are used up; send a new code: %w", otpkit.ErrMaxAttempts)
	errNoLiveCode     = fmt.Errorf("verify: no live code for the recipient (never sent, expired or used): %w", otpkit.ErrNotFound)
)

// ErrStore is matched by every error that comes from the Store (Redis down,
// a timeout, a script error), from the Guard and the Service alike:
// errors.Is(err, verify.ErrStore) tells an app to alert on its store rather
// than on a provider. The Guard fails closed on it: nothing is allowed or
// verified without the store's answer.
var ErrStore = errors.New("verify: store failed")

// ErrSendInProgress is Service.Send's answer for an IdempotencyKey whose
// first Send is still running (on this instance or another sharing the
// store), or ended without a known outcome: nothing is sent for it. It
// satisfies otpkit.ErrRateLimited; ask the client to wait for the first
// answer rather than to send again.
var ErrSendInProgress error = &sendInProgressError{}

type sendInProgressError struct{}

func (*sendInProgressError) Error() string {
	return "verify: a send with this idempotency key is in progress or its outcome is unknown; nothing was sent again"
}

// Is matches otpkit.ErrRateLimited.
func (*sendInProgressError) Is(target error) bool { return target == otpkit.ErrRateLimited }

// storeError is an error of the store: it satisfies ErrStore and unwraps to
// what the store returned.
type storeError struct {
	msg string // says what the caller was doing; never a number or a code
	err error
}

func (e *storeError) Error() string { return e.msg + ": " + e.err.Error() }

func (e *storeError) Unwrap() []error { return []error{ErrStore, e.err} }

// storeFailed marks an error of the store as such (nil stays nil). A
// cancelled context is the caller's doing, not the store's, and stays as
// it is, so that a client who went away raises no store alert; a deadline
// that passed while the store did not answer is a store timeout.
func storeFailed(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, ErrStore) {
		return err
	}
	return &storeError{msg: "verify: store failed, refusing", err: err}
}

// storeFailedAfterSend is a store failure after a provider sent a code: the
// code is on its way but cannot be checked, and the error says so.
func storeFailedAfterSend(p otpkit.Provider, err error) error {
	return &storeError{msg: "verify: " + string(p) + " sent a message, but its ref could not be kept", err: err}
}
