package verify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
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
	macs   sync.Pool // of HMAC-SHA256 states under secret: a check makes none

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
// ignored. Pass recipients normalised (E.164), so that one number is one
// recipient.
func (g *Guard) AllowSend(ctx context.Context, recipient, ip string) error {
	if err := checkRecipient(recipient); err != nil {
		return err
	}
	ipKey, err := ipKey(ip)
	if err != nil {
		return err
	}
	now, err := g.now()
	if err != nil {
		return err
	}
	s := SendRules{
		Recipient:      recipient,
		IP:             ipKey,
		Prefix:         prefixOf(recipient, g.limits.PrefixDigits),
		RecipientSends: storeRate(g.limits.RecipientSends),
		IPSends:        storeRate(g.limits.IPSends),
		PrefixSends:    storeRate(g.limits.PrefixSends),
		Failures:       storeRate(g.limits.failures()),
	}
	if g.limits.SendInterval > 0 {
		s.Interval = g.limits.SendInterval
	}
	if s.IPSends.Count == 0 {
		s.IP = ""
	}
	if s.PrefixSends.Count == 0 {
		s.Prefix = ""
	}
	return g.answer(g.store.AllowSend(ctx, now, s))
}

// Issue makes a new crypto-random code of Limits.CodeLength digits the
// recipient's live code for Limits.CodeTTL and returns it. Only its
// HMAC-SHA256 under the Guard's secret is stored. It replaces the
// recipient's previous code (which then no longer verifies) but never resets
// the recipient's failures. Issue sends nothing and checks no send rule:
// call AllowSend first.
func (g *Guard) Issue(ctx context.Context, recipient string) (string, error) {
	if err := checkRecipient(recipient); err != nil {
		return "", err
	}
	code := newCode(g.limits.CodeLength)
	now, err := g.now()
	if err != nil {
		return "", err
	}
	if err := g.store.Issue(ctx, now, recipient, g.mac(recipient, code), g.limits.CodeTTL); err != nil {
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
// A code that is not Limits.CodeLength digits is a *otpkit.ValidationError
// and counts nothing. A failing store is an error, never a verified code.
func (g *Guard) Check(ctx context.Context, recipient, code string) error {
	if err := checkRecipient(recipient); err != nil {
		return err
	}
	if err := checkCode(code, g.limits.CodeLength); err != nil {
		return err
	}
	now, err := g.now()
	if err != nil {
		return err
	}
	rules := CheckRules{MaxAttempts: g.limits.MaxAttempts, Failures: storeRate(g.limits.failures())}
	return g.answer(g.store.Check(ctx, now, recipient, g.mac(recipient, code), rules))
}

// AllowCheck returns a *LimitError (RuleFailures) when the recipient's
// failure budget is spent. Call it before a provider checks a code, and
// RecordFailure when the provider says the code was wrong.
func (g *Guard) AllowCheck(ctx context.Context, recipient string) error {
	if err := checkRecipient(recipient); err != nil {
		return err
	}
	now, err := g.now()
	if err != nil {
		return err
	}
	return g.answer(g.store.AllowCheck(ctx, now, recipient, storeRate(g.limits.failures())))
}

// RecordFailure counts one wrong code for recipient that a provider checked,
// against the failure budget. When the budget is already spent it counts
// nothing and returns a *LimitError (RuleFailures).
func (g *Guard) RecordFailure(ctx context.Context, recipient string) error {
	if err := checkRecipient(recipient); err != nil {
		return err
	}
	now, err := g.now()
	if err != nil {
		return err
	}
	return g.answer(g.store.RecordFailure(ctx, now, recipient, storeRate(g.limits.failures())))
}

// Unlock forgets the recipient's failures, e.g. after a support desk checked
// who they are. It leaves the live code, its attempts and the send limits
// as they are.
func (g *Guard) Unlock(ctx context.Context, recipient string) error {
	if err := checkRecipient(recipient); err != nil {
		return err
	}
	return storeFailed(g.store.Unlock(ctx, recipient))
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

// storeFailed marks an error of the store as such.
func storeFailed(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("verify: store failed, refusing: %w", err)
}
