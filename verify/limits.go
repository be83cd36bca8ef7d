package verify

import (
	"time"

	"github.com/otpkit/otpkit"
)

// Rate is Count events per Per, counted in a sliding window: a rule with
// Rate{5, time.Hour} allows a request when fewer than 5 were allowed in the
// hour before it. A negative Count or Per turns the rule off; a zero field
// takes the rule's default.
type Rate struct {
	Count int
	Per   time.Duration
}

// off reports whether the rule is turned off (after defaults were applied).
func (r Rate) off() bool { return r.Count <= 0 || r.Per <= 0 }

// Limits are the rules of a Guard. A zero field takes its default; a negative
// Rate.Count or Rate.Per, a negative SendInterval, or a negative MaxFailures
// or FailureWindow turns that rule off. Durations count in whole
// milliseconds (finer ones are rounded up), since that is what a shared
// store keeps.
//
// The defaults follow NIST SP 800-63B (out-of-band authenticators and
// rate limiting) and the OWASP Authentication and Forgot Password cheat
// sheets; each field says why.
type Limits struct {
	// CodeLength is the number of digits of an issued code, 4 to 10.
	// Default 6: NIST SP 800-63B asks for at least 6 decimal digits
	// (20 bits) for a one-time code.
	CodeLength int
	// CodeTTL is how long an issued code can be checked. Default 10 minutes:
	// NIST SP 800-63B wants an out-of-band secret valid for 10 minutes or
	// less. It cannot be turned off.
	CodeTTL time.Duration
	// MaxAttempts is how many checks one code allows: the MaxAttempts-th
	// wrong code locks it. Default 5, so one code is guessed with a chance
	// of 5 in 10^6 at 6 digits. It cannot be turned off.
	MaxAttempts int
	// MaxFailures is the failure budget: wrong codes per recipient within
	// FailureWindow, across codes and providers, that no new code resets.
	// Once spent, AllowSend, Check and AllowCheck answer RuleFailures until
	// the window passes or Guard.Unlock. Default 10 within 24 hours: NIST
	// SP 800-63B allows at most 100 consecutive failures per account, and
	// OWASP advises a lockout threshold far below that for short codes; 10
	// a day keeps the chance of guessing a 6-digit code below 1 in 10^5 a
	// day while leaving a user who mistypes room for two lost codes.
	MaxFailures int
	// FailureWindow is the sliding window of MaxFailures. Default 24 hours.
	FailureWindow time.Duration
	// SendInterval is the least time between two sends to a recipient.
	// Default: off. RecipientSends already bounds what a recipient costs,
	// and an interval is a choice of the user interface: an app that shows
	// a resend timer sets it to that timer (30 to 60 seconds is common), so
	// that double submits and resend loops are refused with the exact
	// RetryAfter to show. Off by default, a user who asks again at once (a
	// lost SMS, a second tab) is not refused for a rule the app never chose.
	SendInterval time.Duration
	// RecipientSends limits sends per recipient. Default 5 per hour (what
	// Tryvox allows per recipient), well above what a user waiting for a
	// code needs and small enough to make a number a poor pumping target.
	RecipientSends Rate
	// IPSends limits sends asked for by one client IP address (an IPv6
	// address counts by its /64 network, which one client can fill).
	// Default 20 per hour (OWASP: limit by source as well as by account;
	// room for a few users behind one NAT).
	IPSends Rate
	// PrefixSends limits sends to numbers sharing their first PrefixDigits
	// digits, the shape of SMS pumping, which walks a premium number
	// range. Default 50 per hour.
	PrefixSends Rate
	// PrefixDigits is how many leading digits of the recipient (without the
	// "+") make its prefix, 1 to 15. Default 8: a range of about 10^4
	// numbers in most national plans.
	PrefixDigits int
}

// The defaults, see Limits.
const (
	defaultCodeLength    = 6
	defaultCodeTTL       = 10 * time.Minute
	defaultMaxAttempts   = 5
	defaultMaxFailures   = 10
	defaultFailureWindow = 24 * time.Hour
	defaultPrefixDigits  = 8
)

var (
	defaultRecipientSends = Rate{Count: 5, Per: time.Hour}
	defaultIPSends        = Rate{Count: 20, Per: time.Hour}
	defaultPrefixSends    = Rate{Count: 50, Per: time.Hour}
)

// withDefaults returns l with every zero field set to its default, turned-off
// rules normalised (a zero Rate, a zero duration) and durations rounded up to
// whole milliseconds; or a *otpkit.ValidationError for a limit that makes no
// sense.
func (l Limits) withDefaults() (Limits, error) {
	bad := func(field, reason string) (Limits, error) {
		return Limits{}, &otpkit.ValidationError{Field: "Limits." + field, Reason: reason}
	}
	if l.CodeLength == 0 {
		l.CodeLength = defaultCodeLength
	}
	if l.CodeLength < 4 || l.CodeLength > 10 {
		return bad("CodeLength", "must be 4 to 10 digits")
	}
	if l.CodeTTL == 0 {
		l.CodeTTL = defaultCodeTTL
	}
	if l.CodeTTL < 0 {
		return bad("CodeTTL", "must be positive: a code must expire")
	}
	if l.MaxAttempts == 0 {
		l.MaxAttempts = defaultMaxAttempts
	}
	if l.MaxAttempts < 0 {
		return bad("MaxAttempts", "must be positive: a code must lock after wrong guesses")
	}
	if l.MaxFailures == 0 {
		l.MaxFailures = defaultMaxFailures
	}
	if l.FailureWindow == 0 {
		l.FailureWindow = defaultFailureWindow
	}
	if l.MaxFailures < 0 || l.FailureWindow < 0 {
		l.MaxFailures, l.FailureWindow = -1, -1
	}
	if l.SendInterval <= 0 {
		l.SendInterval = -1
	}
	l.RecipientSends = l.RecipientSends.withDefault(defaultRecipientSends)
	l.IPSends = l.IPSends.withDefault(defaultIPSends)
	l.PrefixSends = l.PrefixSends.withDefault(defaultPrefixSends)
	if l.PrefixDigits == 0 {
		l.PrefixDigits = defaultPrefixDigits
	}
	if l.PrefixDigits < 1 || l.PrefixDigits > 15 {
		return bad("PrefixDigits", "must be 1 to 15 digits")
	}
	l.CodeTTL = ceilMillis(l.CodeTTL)
	l.FailureWindow = ceilMillis(l.FailureWindow)
	l.SendInterval = ceilMillis(l.SendInterval)
	return l, nil
}

// withDefault fills r's zero fields from d; a negative field turns it off.
func (r Rate) withDefault(d Rate) Rate {
	if r.Count < 0 || r.Per < 0 {
		return Rate{Count: -1, Per: -1}
	}
	if r.Count == 0 {
		r.Count = d.Count
	}
	if r.Per == 0 {
		r.Per = d.Per
	}
	r.Per = ceilMillis(r.Per)
	return r
}

// failures is the failure budget as a Rate (off when turned off).
func (l Limits) failures() Rate { return Rate{Count: l.MaxFailures, Per: l.FailureWindow} }

// ceilMillis rounds a positive d up to whole milliseconds; others stay.
func ceilMillis(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	if r := d % time.Millisecond; r != 0 {
		d += time.Millisecond - r
	}
	return d
}

// storeRate is what a Store is given for r: the rule, or a zero Rate when r
// is off.
func storeRate(r Rate) Rate {
	if r.off() {
		return Rate{}
	}
	return r
}
