package verify

import (
	"fmt"
	"log/slog"
	"slices"
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
// Rate.Count or Rate.Per, a negative SendInterval, a negative MaxFailures or
// FailureWindow, or a negative ConversionWindow, ConversionMinPrefixSends or
// ConversionMinCountrySends turns that rule off. Durations count in whole
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
	// numbers in most national plans. The conversion guard counts prefixes
	// by it too.
	PrefixDigits int

	// The rules on the number itself. Send reads the recipient with
	// ParseNumber, so they see its region and type; Limits.CheckNumber
	// applies them on their own.

	// Countries is an allow-list of regions: ISO 3166-1 alpha-2 codes (any
	// case), or "001" for the non-geographic codes (+800, +882, +979 …).
	// A send to a number of another region is refused with RuleCountry.
	// Default empty: every region, since a library cannot know where an
	// app's users live. An app that serves a few countries should list
	// them: SMS pumping walks foreign ranges, the dearest ones first.
	Countries []string
	// BlockedCountries are regions refused with RuleCountry (in the same
	// codes as Countries), for an app that serves the world but not the
	// ranges its fraud comes from. Default none. A region in both lists is
	// an error.
	BlockedCountries []string
	// NumberTypes says which types of number each channel may go to;
	// refused with RuleNumberType. Its zero value is the default: no
	// premium-rate, shared-cost or UAN numbers (what toll fraud is paid
	// through), no sms or whatsapp to a fixed line (which cannot receive
	// them); see NumberTypePolicy.
	NumberTypes NumberTypePolicy
	// SafeList holds phone numbers (in international form; kept in E.164)
	// that neither the send limits (SendInterval, RecipientSends, IPSends,
	// PrefixSends, the conversion guard) nor the rules on the number
	// refuse: the QA team's phones, the app-store reviewers' test account.
	// The attempt limits (MaxAttempts, CodeTTL) and the failure budget
	// hold for them as for anyone, so a safe-listed number is no way to
	// guess codes. Default none. Its numbers never print: fmt and slog
	// show each as [redacted].
	SafeList []string
	// Monitor evaluates Countries, BlockedCountries, NumberTypes and the
	// conversion guard and reports what they would refuse, without
	// refusing: to roll the rules out on live traffic and see first whom
	// they would stop. Default false: they refuse. The send limits and the
	// attempt limits always refuse.
	Monitor bool

	// The conversion guard: pumped messages are never verified, since no
	// one reads them, while users who ask for a code type it in 60 to 90 %
	// of the time. So when too few of the sends to one country or one
	// prefix (its first PrefixDigits digits) in the last ConversionWindow
	// were verified, the guard refuses further sends there with
	// RuleConversion until the window could recover. It judges a country
	// or prefix only once it had enough sends to tell an attack from a bad
	// afternoon.

	// ConversionWindow is how far back sends and verifications count.
	// Default 1 hour: pumping is a burst of thousands of sends an hour, an
	// hour of ordinary traffic is enough to measure its rate, and a
	// refusal lifts at most an hour after the attack stops. A negative
	// value turns the conversion guard off.
	ConversionWindow time.Duration
	// ConversionMinPrefixSends is how many sends to one prefix the window
	// must hold before the guard judges that prefix. Default 30: an attack
	// on one range is stopped after about 30 sends, while 30 ordinary
	// sends converting at 60 % fall below a ConversionFloor of 20 % with a
	// chance of 1 in 700,000 (0.6 % even at a poor 40 %). A negative value
	// turns the prefix level off.
	ConversionMinPrefixSends int
	// ConversionMinCountrySends is how many sends to one country the
	// window must hold before the guard judges that country. Default 100:
	// it catches an attack spread thinly over many prefixes of a country,
	// and 100 ordinary sends at 40 % fall below 20 % with a chance of 1 in
	// 170,000. A negative value turns the country level off.
	ConversionMinCountrySends int
	// ConversionFloor is the share of sends, 0 to 1, that must be verified
	// within the window. Default 0.2: far under ordinary traffic (0.6 to
	// 0.9), room for a country whose delivery is poor, and an attacker who
	// wants to stay above it must verify one code in five, each with a
	// real phone.
	ConversionFloor float64
}

// The defaults, see Limits.
const (
	defaultCodeLength    = 6
	defaultCodeTTL       = 10 * time.Minute
	defaultMaxAttempts   = 5
	defaultMaxFailures   = 10
	defaultFailureWindow = 24 * time.Hour
	defaultPrefixDigits  = 8

	defaultConversionWindow          = time.Hour
	defaultConversionMinPrefixSends  = 30
	defaultConversionMinCountrySends = 100
	defaultConversionFloor           = 0.2
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
	return l.numberDefaults()
}

// numberDefaults is withDefaults for the rules on the number and the
// conversion guard. The lists it returns share nothing with the caller's:
// changing them after NewGuard changes no rule.
func (l Limits) numberDefaults() (Limits, error) {
	var err error
	if l.Countries, err = regionList("Countries", l.Countries); err != nil {
		return Limits{}, err
	}
	if l.BlockedCountries, err = regionList("BlockedCountries", l.BlockedCountries); err != nil {
		return Limits{}, err
	}
	for _, r := range l.BlockedCountries {
		if containsSorted(l.Countries, r) {
			return Limits{}, &otpkit.ValidationError{Field: "Limits.BlockedCountries", Reason: "holds " + r + ", which Countries allows"}
		}
	}
	if l.NumberTypes, err = l.NumberTypes.withDefaults(); err != nil {
		return Limits{}, err
	}
	if l.SafeList, err = safeList(l.SafeList); err != nil {
		return Limits{}, err
	}
	if l.ConversionWindow == 0 {
		l.ConversionWindow = defaultConversionWindow
	}
	if l.ConversionMinPrefixSends == 0 {
		l.ConversionMinPrefixSends = defaultConversionMinPrefixSends
	}
	if l.ConversionMinCountrySends == 0 {
		l.ConversionMinCountrySends = defaultConversionMinCountrySends
	}
	if l.ConversionFloor == 0 {
		l.ConversionFloor = defaultConversionFloor
	}
	if !(l.ConversionFloor >= 0 && l.ConversionFloor <= 1) { // NaN too
		return Limits{}, &otpkit.ValidationError{Field: "Limits.ConversionFloor", Reason: "must be a share from 0 to 1 (0.2 is 20 %)"}
	}
	if l.ConversionMinPrefixSends < 0 {
		l.ConversionMinPrefixSends = -1
	}
	if l.ConversionMinCountrySends < 0 {
		l.ConversionMinCountrySends = -1
	}
	if l.ConversionWindow < 0 {
		l.ConversionWindow, l.ConversionMinPrefixSends, l.ConversionMinCountrySends = -1, -1, -1
	}
	l.ConversionWindow = ceilMillis(l.ConversionWindow)
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

// Format prints l with every SafeList number as [redacted], with any verb:
// the numbers are people's.
func (l Limits) Format(f fmt.State, verb rune) {
	type plain Limits // without this method
	p := plain(l)
	p.SafeList = slices.Repeat([]string{"[redacted]"}, len(l.SafeList))
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue logs l as Format prints it with %+v (slog's JSON handler would
// otherwise encode the SafeList).
func (l Limits) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", l)) }
