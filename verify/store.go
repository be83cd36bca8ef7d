package verify

import (
	"context"
	"time"
)

// Store keeps the state of a Guard: per recipient its live code (as a MAC),
// the code's attempts, its sends and its failures; per IP address and per
// number prefix their sends. Every method is one decision of the Guard and
// must be atomic: two instances of an app calling at once must never both be
// allowed what the rule allows once. Implement it to keep the state elsewhere
// (e.g. in Postgres, one transaction a method); run storetest.Run against
// your implementation.
//
// The Guard's clock is the only time source: every method gets now (to the
// nanosecond) and compares it with the times the store kept. A store may
// drop state once no rule can need it (Redis key TTLs), never earlier.
// Durations are whole milliseconds; a Rate with Count 0 means the rule is
// off.
//
// Decisions are errors: nil allows (or verifies); *LimitError refuses, with
// RetryAfter counted from now; Check also answers *InvalidCodeError,
// otpkit.ErrMaxAttempts and otpkit.ErrNotFound (possibly wrapped). Any other
// error is a failure of the store, and the Guard fails closed on it.
//
// A store that several processes share should also implement Shared, so that
// the Guard demands a secret; a store that does not implement it is taken as
// shared.
//
// Recipients (and IP addresses and number prefixes) reach a Store as the
// Guard's pseudonyms (see SendRules), never in clear.
//
// A Store also keeps the refs of a Service (RefStore): its records are
// small, hold no code, and live as long as the verification they stand for.
type Store interface {
	RefStore
	// AllowSend checks every rule of s and records the send (in the
	// recipient's, IP's and prefix's windows, and as the recipient's last
	// send) only when all allow it. Otherwise it records nothing and
	// returns a *LimitError: Rule RuleFailures when the failure budget is
	// spent, else the refusing rule with the latest allowed time;
	// RetryAfter until every refusing rule allows.
	AllowSend(ctx context.Context, now time.Time, s SendRules) error
	// Issue makes mac the recipient's live code until now+ttl with no
	// attempts used, replacing any previous code. Failures stay.
	Issue(ctx context.Context, now time.Time, recipient string, mac []byte, ttl time.Duration) error
	// Check checks mac against the recipient's live code (a verified code
	// counts in c's conversion guard), in this order:
	// failure budget spent (c.Failures): *LimitError RuleFailures; no live
	// code (never issued, expired, used): otpkit.ErrNotFound; code locked
	// (c.MaxAttempts attempts used): otpkit.ErrMaxAttempts; equal MACs
	// (compared in constant time where the store can): nil, and the code is
	// used up; otherwise one attempt and one failure are recorded and the
	// answer is *InvalidCodeError with the attempts left, or
	// otpkit.ErrMaxAttempts when none are left.
	Check(ctx context.Context, now time.Time, recipient string, mac []byte, c CheckRules) error
	// RefundSend takes back the send that AllowSend(ctx, at, s) recorded,
	// from every window it counted in (the recipient's, the IP's, the
	// prefix's, and the recipient's last send, which goes back to the one
	// before), atomically. The Service calls it when every provider proved
	// that nothing went out. A send that is no longer there (its window
	// passed, Unlock) is no error.
	RefundSend(ctx context.Context, at time.Time, s SendRules) error
	// AllowCheck returns *LimitError RuleFailures when the recipient's
	// failure budget is spent, and records nothing.
	AllowCheck(ctx context.Context, now time.Time, recipient string, failures Rate) error
	// RecordFailure records one failure for the recipient (a wrong code a
	// provider checked). When the budget is already spent it records
	// nothing and returns *LimitError RuleFailures.
	RecordFailure(ctx context.Context, now time.Time, recipient string, failures Rate) error
	// Unlock forgets the recipient's failures.
	Unlock(ctx context.Context, recipient string) error
}

// Shared is implemented by stores to say whether several processes may share
// them. The Guard refuses a shared store without WithSecret, since every
// instance must compute the same MAC of a code.
type Shared interface {
	Shared() bool
}

// SendRules is one AllowSend as a Store sees it. A Rate with Count 0, an
// empty IP or Prefix, or a zero Interval means that rule does not apply.
//
// Recipient, IP and Prefix are pseudonyms: the Guard hands the store an
// HMAC under its secret of the canonical recipient, of the client's address
// and of the number prefix, never the number or the address, so that a
// store holds no personal data in clear. The same input always gives the
// same pseudonym under one secret.
type SendRules struct {
	Recipient string
	// IP stands for the client's address as the Guard normalised it (an
	// IPv6 /64 network for IPv6).
	IP string
	// Prefix stands for the recipient's first Limits.PrefixDigits digits.
	Prefix string
	// Interval is Limits.SendInterval.
	Interval       time.Duration
	RecipientSends Rate
	IPSends        Rate
	PrefixSends    Rate
	// Failures is the failure budget: Limits.MaxFailures per
	// Limits.FailureWindow.
	Failures Rate
	// Country is the recipient's country for the conversion guard (see
	// ConversionRules; e.g. "DE"), empty for an e-mail address. Prefix
	// (above) is set whenever PrefixSends or the guard's prefix level is
	// on.
	Country string
	// Conversion is the conversion guard; its zero value is off.
	Conversion ConversionRules
}

// CheckRules are the limits a Store applies in Check (and ReserveCheck,
// SettleCheck).
type CheckRules struct {
	// MaxAttempts is the attempts one code allows.
	MaxAttempts int
	// Failures is the failure budget.
	Failures Rate
	// Country and Prefix are where a verified code counts in the
	// conversion guard (Check; SettleCheck takes them from the record).
	Country, Prefix string
	// Conversion is the conversion guard; its zero value is off.
	Conversion ConversionRules
}
