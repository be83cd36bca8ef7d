package verify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/otpkit/otpkit"
)

// Guard enforces the rules of Limits on a Store: send limits against SMS
// pumping, expiry, attempts and single use of the codes it issues, and a
// failure budget per recipient. It is safe for concurrent use, and any
// number of Guards (in any number of processes) can share one Store, as long
// as they share the secret and the limits.
//
// A Guard fails closed: when the Store fails, every method returns an error;
// no code is verified and no send is allowed without the Store's answer.
type Guard struct {
	store  Store
	limits Limits
	secret []byte
	clock  func() time.Time
	// conversion is the conversion guard's rules as stores get them.
	conversion ConversionRules
	macs       sync.Pool // of HMAC-SHA256 states under secret: a check makes none

	observer Observer // WithObserver; nil: nothing observed (observe.go, observe_emit.go)
}

// GuardOption configures a Guard in NewGuard.
type GuardOption func(*Guard) error

// WithLimits sets the Guard's rules; zero fields take their defaults (see
// Limits).
func WithLimits(l Limits) GuardOption {
	return func(g *Guard) error {
		g.limits = l
		return nil
	}
}

// WithSecret sets the HMAC-SHA256 key under which codes are stored, at least
// 32 bytes (the key is copied). Guards sharing a store must share it. Without
// it a Guard draws a random key, which only works for a store no other
// process uses: NewGuard refuses a shared store without a secret.
func WithSecret(key []byte) GuardOption {
	return func(g *Guard) error {
		if len(key) < 32 {
			return &otpkit.ValidationError{Field: "secret", Reason: "must be at least 32 bytes"}
		}
		g.secret = append([]byte(nil), key...)
		return nil
	}
}

// WithClock sets the Guard's clock (default time.Now). It is the only time
// source of every rule, on every store; tests use it to move time.
func WithClock(now func() time.Time) GuardOption {
	return func(g *Guard) error {
		if now == nil {
			return &otpkit.ValidationError{Field: "clock", Reason: "is nil"}
		}
		g.clock = now
		return nil
	}
}

// NewGuard returns a Guard on store. It refuses a nil store, a nil option,
// limits that make no sense (a *otpkit.ValidationError) and a store shared
// between processes (see Shared) without WithSecret.
func NewGuard(store Store, opts ...GuardOption) (*Guard, error) {
	if store == nil {
		return nil, &otpkit.ValidationError{Field: "store", Reason: "is nil"}
	}
	g := &Guard{store: store, clock: time.Now}
	for _, opt := range opts {
		if opt == nil {
			return nil, &otpkit.ValidationError{Field: "option", Reason: "is nil"}
		}
		if err := opt(g); err != nil {
			return nil, err
		}
	}
	l, err := g.limits.withDefaults()
	if err != nil {
		return nil, err
	}
	g.limits = l
	g.conversion = l.conversionRules()
	if g.secret == nil {
		if s, ok := store.(Shared); !ok || s.Shared() {
			return nil, &otpkit.ValidationError{Field: "secret",
				Reason: "is required for a store that several processes share: every instance must use the same WithSecret key"}
		}
		g.secret = make([]byte, 32)
		_, _ = rand.Read(g.secret) // crypto/rand.Read never fails (Go 1.24+)
	}
	return g, nil
}

// Limits returns the Guard's rules with the defaults filled in. A rule that
// is turned off shows -1 in its fields.
func (g *Guard) Limits() Limits { return g.limits }

// String describes the Guard without its secret.
func (g *Guard) String() string {
	return fmt.Sprintf("verify.Guard{store: %T, limits: %+v}", g.store, g.limits)
}

// GoString is String, so that %#v prints no secret either.
func (g *Guard) GoString() string { return g.String() }

// Format implements fmt.Formatter: every verb (%v, %+v, %#v, %s, %d, %x …)
// prints String, so that no verb reaches the fields, where fmt would print
// the secret's bytes or the client's options (%d and %x ignore String).
func (g *Guard) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, g.String()) }

// now returns the Guard's time, or an error when the clock is outside the
// years 1700 to 2200 (Unix nanoseconds in an int64, what stores compare).
func (g *Guard) now() (time.Time, error) {
	t := g.clock()
	if y := t.Year(); y < 1700 || y > 2200 {
		return time.Time{}, &otpkit.ValidationError{Field: "clock", Reason: "is outside the years 1700 to 2200"}
	}
	return t, nil
}

// AllowSend checks every send rule for a code to recipient asked for by a
// client at ip, and records the send only when all allow it; otherwise it
// returns a *LimitError. ip may be empty when no client asked (the IP rule
// then does not apply); it may carry a port ("192.0.2.1:5060"), which is
// ignored. The send rules are the limits on sends and the conversion
// guard, which keep state. The rules on the number itself (Countries,
// BlockedCountries, NumberTypes) need the channel and libphonenumber's
// parse (about 18 µs, 80 allocations, more than the whole AllowSend on a
// MemoryStore), so they are not checked here: Service.Send checks them,
// and a Guard used alone checks them with Limits.CheckNumber before
// AllowSend.
//
// recipient must be canonical: a phone number in E.164 ("+" and 7 to 15
// digits, the first not 0) or an e-mail address (compared lower-cased).
// Anything else (00491701234567, "+49 170 1234567", full-width digits) is a
// *otpkit.ValidationError and records nothing, so that one number cannot
// open fresh windows under other spellings; ParseNumber makes the canonical
// form of a number as users type it.
func (g *Guard) AllowSend(ctx context.Context, recipient, ip string) error {
	_, err := g.allowSend(ctx, recipient, ip)
	g.observeAllowSend(ctx, recipient, err)
	return err
}

// allowSend is AllowSend, returning what it recorded so that the Service
// can take the send back (refundSend) when no provider sent anything.
func (g *Guard) allowSend(ctx context.Context, recipient, ip string) (sendTicket, error) {
	recipient, err := canonicalRecipient(recipient)
	if err != nil {
		return sendTicket{}, err
	}
	ipk, err := ipKey(ip)
	if err != nil {
		return sendTicket{}, err
	}
	now, err := g.now()
	if err != nil {
		return sendTicket{}, err
	}
	s := SendRules{
		Recipient: g.pseudonym(pseudoRecipient, recipient),
		Failures:  storeRate(g.limits.failures()),
	}
	if g.limits.safeListed(recipient) {
		// No send limit for a safe-listed number; the failure budget
		// holds (AllowSend refuses a spent one).
		if err := g.answer(g.store.AllowSend(ctx, now, s)); err != nil {
			return sendTicket{}, err
		}
		return sendTicket{at: now, rules: s}, nil
	}
	s.RecipientSends = storeRate(g.limits.RecipientSends)
	s.IPSends = storeRate(g.limits.IPSends)
	s.PrefixSends = storeRate(g.limits.PrefixSends)
	if g.limits.SendInterval > 0 {
		s.Interval = g.limits.SendInterval
	}
	if ipk != "" && s.IPSends.Count > 0 {
		s.IP = g.pseudonym(pseudoIP, ipk)
	}
	if recipient[0] == '+' {
		s.Conversion = g.conversion
		if s.Conversion.on() {
			s.Country = countryOf(recipient)
		}
		if s.PrefixSends.Count > 0 || s.Conversion.MinPrefixSends > 0 {
			s.Prefix = g.pseudonym(pseudoPrefix, prefixOf(recipient, g.limits.PrefixDigits))
		}
	}
	err = g.store.AllowSend(ctx, now, s)
	var mr *MonitoredRefusal
	if errors.As(err, &mr) {
		// Limits.Monitor: allowed and counted; reported, not refused.
		g.emit(ctx, Event{Kind: EventWouldRefuse, Op: OpSend, Rule: mr.Rule})
		err = nil
	}
	if err := g.answer(err); err != nil {
		return sendTicket{}, err
	}
	return sendTicket{at: now, rules: s}, nil
}

// sendTicket is a send AllowSend recorded: when, and under which rules.
type sendTicket struct {
	at    time.Time
	rules SendRules
}

// refundSend takes back the send t recorded. It runs even when ctx is done
// (the send was refused by every provider; keeping it counted would only
// lock the user out for an outage).
func (g *Guard) refundSend(ctx context.Context, t sendTicket) error {
	if t.at.IsZero() {
		return nil
	}
	return storeFailed(g.store.RefundSend(context.WithoutCancel(ctx), t.at, t.rules))
}

// Issue makes a new crypto-random code of Limits.CodeLength digits the
// recipient's live code for Limits.CodeTTL and returns it. Only its
// HMAC-SHA256 under the Guard's secret is stored. It replaces the
// recipient's previous code (which then no longer verifies) but never resets
// the recipient's failures. Issue sends nothing and checks no send rule:
// call AllowSend first. recipient must be canonical, as for AllowSend.
func (g *Guard) Issue(ctx context.Context, recipient string) (string, error) {
	subject, err := g.subject(recipient)
	if err != nil {
		return "", err
	}
	code, err := g.issue(ctx, subject)
	g.observeStoreError(ctx, "", err)
	return code, err
}

// issue is Issue for the recipient's pseudonym.
func (g *Guard) issue(ctx context.Context, subject string) (string, error) {
	code := newCode(g.limits.CodeLength)
	now, err := g.now()
	if err != nil {
		return "", err
	}
	if err := g.store.Issue(ctx, now, subject, g.mac(subject, code), g.limits.CodeTTL); err != nil {
		return "", storeFailed(err)
	}
	return code, nil
}

// Check checks the code the user entered for recipient. It returns nil once
// for the right live code, which is then used up. Otherwise, in this order:
// a *LimitError (RuleFailures) when the recipient's failure budget is spent;
// an error satisfying otpkit.ErrNotFound when there is no live code (never
// issued, expired or used); otpkit.ErrMaxAttempts when the code is locked;
// for a wrong code a *InvalidCodeError (otpkit.ErrInvalidCode) with the
// attempts left, or otpkit.ErrMaxAttempts when it used the last one. Only a
// wrong code for a live, unlocked code counts as a failure.
//
// A code that is not Limits.CodeLength digits, or a recipient that is not
// canonical (see AllowSend), is a *otpkit.ValidationError and counts
// nothing. A failing store is an error satisfying ErrStore, never a
// verified code.
//
// With WithObserver, a Check is one operation (a span) with one final event.
func (g *Guard) Check(ctx context.Context, recipient, code string) error {
	return g.checkOp(ctx, recipient, code)
}

// checkRecipient is Check without its observation.
func (g *Guard) checkRecipient(ctx context.Context, recipient, code string) error {
	subject, err := g.subject(recipient)
	if err != nil {
		return err
	}
	canonical, _ := canonicalRecipient(recipient)
	country, prefix := g.conversionKeys(canonical)
	return g.check(ctx, subject, code, country, prefix)
}

// check is Check for the recipient's pseudonym.
// country and prefix are where a verified code counts in the conversion
// guard.
func (g *Guard) check(ctx context.Context, subject, code, country, prefix string) error {
	if err := checkCode(code, g.limits.CodeLength); err != nil {
		return err
	}
	now, err := g.now()
	if err != nil {
		return err
	}
	rules := CheckRules{MaxAttempts: g.limits.MaxAttempts, Failures: storeRate(g.limits.failures()),
		Country: country, Prefix: prefix, Conversion: g.conversion}
	return g.answer(g.store.Check(ctx, now, subject, g.mac(subject, code), rules))
}

// conversionKeys are the conversion guard's country and prefix pseudonym of
// a canonical recipient ("" for an e-mail address, or with the guard off).
func (g *Guard) conversionKeys(recipient string) (country, prefix string) {
	if !g.conversion.on() || recipient[0] != '+' || g.limits.safeListed(recipient) {
		return "", ""
	}
	return countryOf(recipient), g.pseudonym(pseudoPrefix, prefixOf(recipient, g.limits.PrefixDigits))
}

// AllowCheck returns a *LimitError (RuleFailures) when the recipient's
// failure budget is spent. Call it before a provider checks a code, and
// RecordFailure when the provider says the code was wrong. (The Service
// does more: it reserves the failure before the provider's call, so that
// concurrent checks cannot overrun the budget.)
func (g *Guard) AllowCheck(ctx context.Context, recipient string) error {
	subject, err := g.subject(recipient)
	if err != nil {
		return err
	}
	now, err := g.now()
	if err != nil {
		return err
	}
	err = g.answer(g.store.AllowCheck(ctx, now, subject, storeRate(g.limits.failures())))
	g.observeAllowCheck(ctx, err)
	return err
}

// RecordFailure counts one wrong code for recipient that a provider checked,
// against the failure budget. When the budget is already spent it counts
// nothing and returns a *LimitError (RuleFailures).
func (g *Guard) RecordFailure(ctx context.Context, recipient string) error {
	subject, err := g.subject(recipient)
	if err != nil {
		return err
	}
	now, err := g.now()
	if err != nil {
		return err
	}
	err = g.answer(g.store.RecordFailure(ctx, now, subject, storeRate(g.limits.failures())))
	g.observeStoreError(ctx, OpCheck, err)
	return err
}

// Unlock forgets the recipient's failures, e.g. after a support desk checked
// who they are. It leaves the live code, its attempts and the send limits
// as they are.
func (g *Guard) Unlock(ctx context.Context, recipient string) error {
	subject, err := g.subject(recipient)
	if err != nil {
		return err
	}
	err = storeFailed(g.store.Unlock(ctx, subject))
	g.observeStoreError(ctx, "", err)
	return err
}

// subject is the store's pseudonym of a canonical recipient.
func (g *Guard) subject(recipient string) (string, error) {
	recipient, err := canonicalRecipient(recipient)
	if err != nil {
		return "", err
	}
	return g.pseudonym(pseudoRecipient, recipient), nil
}

// answer turns a store's decision into the Guard's error.
func (g *Guard) answer(err error) error {
	if err == nil {
		return nil
	}
	var le *LimitError
	var ice *InvalidCodeError
	switch {
	case errors.As(err, &le):
		return &LimitError{Rule: le.Rule, RetryAfter: le.RetryAfter}
	case errors.As(err, &ice):
		return &InvalidCodeError{AttemptsLeft: ice.AttemptsLeft}
	case errors.Is(err, otpkit.ErrMaxAttempts):
		return errAttemptsUsedUp
	case errors.Is(err, otpkit.ErrNotFound):
		return errNoLiveCode
	}
	return storeFailed(err)
}
