package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// Answers of Check for a provider's verdict.
var (
	errRefGone   = fmt.Errorf("verify: the code expired or was used, or the ref is unknown: %w", otpkit.ErrNotFound)
	errWrongCode = fmt.Errorf("verify: invalid code: %w", otpkit.ErrInvalidCode)
)

// providerMaxAttempts is how many checks Tryvox and dotdigital allow one
// code (both document 5): a ref of theirs allows the fewer of these and
// Limits.MaxAttempts.
const providerMaxAttempts = 5

// Check checks the code the user entered for ref. It returns nil once, for
// the right code; the ref is then used up. Otherwise, whatever the provider:
//   - *LimitError (RuleFailures): the recipient's failure budget is spent;
//     no provider was asked.
//   - otpkit.ErrInvalidCode: a wrong code; a *InvalidCodeError with the
//     attempts left (the ref's own count, or the provider's when lower).
//   - otpkit.ErrMaxAttempts: the wrong code that used the last attempt,
//     and every check of the ref after it (which reaches no provider).
//   - otpkit.ErrNotFound: expired (by Limits.CodeTTL or the provider),
//     used, cancelled, replaced (an older LOX24 ref) or unknown, including
//     a made-up or altered ref, which reaches no provider.
//   - *otpkit.ValidationError: an empty ref, or a code that is not digits
//     or not as long as the code sent; nothing is counted and no provider
//     asked.
//
// Limits.MaxAttempts and Limits.CodeTTL hold whatever provider sent the
// code: the store keeps each ref's attempts and expiry and refuses before
// any provider call; the provider's own limits apply too, so the stricter
// wins. Each check takes one attempt of the ref and one failure of the
// recipient's budget in one atomic store step before the provider is asked
// (a right code or a provider error gives them back), so that concurrent
// wrong checks on any number of instances reach the providers at most
// Limits.MaxFailures times. A wrong code costs one store round trip and one
// provider request; a right code two round trips. A store failure is an
// error satisfying ErrStore, never a verified code.
//
// With WithObserver, a Check is one operation (a span) with one final
// event: verified, wrong code, locked, expired, refused or failed.
func (s *Service) Check(ctx context.Context, ref, code string) error {
	ctx = s.guard.start(ctx, OpCheck)
	var ev Event
	err := s.check(ctx, ref, code, &ev)
	s.guard.finishCheck(ctx, ev, err)
	return err
}

// check is Check; ev gets what the final event says.
func (s *Service) check(ctx context.Context, ref, code string, ev *Event) error {
	if ref == "" {
		return &otpkit.ValidationError{Field: "ref", Reason: "is empty"}
	}
	if err := checkCodeShape(code); err != nil {
		return err
	}
	if !wellFormedRef(ref) {
		return errRefGone
	}
	if lox24Ref(ref) {
		ev.Provider = otpkit.ProviderLOX24
		err := s.checkLOX24(ctx, ref, code, ev)
		s.observeStore(ctx, OpCheck, err)
		return err
	}
	now, err := s.guard.now()
	if err != nil {
		return err
	}
	rules := CheckRules{MaxAttempts: min(s.guard.limits.MaxAttempts, providerMaxAttempts),
		Failures: storeRate(s.guard.limits.failures()), Conversion: s.guard.conversion}
	rec, err := s.guard.store.ReserveCheck(ctx, now, ref, rules)
	ev.Provider, ev.Channel, ev.Region = rec.Provider, rec.Channel, rec.Region // known with a refusal too
	if err != nil {
		var le *LimitError
		switch {
		case errors.As(err, &le):
			return &LimitError{Rule: le.Rule, RetryAfter: le.RetryAfter}
		case errors.Is(err, otpkit.ErrNotFound):
			return errRefGone
		case errors.Is(err, otpkit.ErrMaxAttempts):
			return errAttemptsUsedUp
		}
		err = storeFailed(err)
		s.observeStore(ctx, OpCheck, err)
		return err
	}
	p := s.byName[rec.Provider]
	var answer checkAnswer
	switch {
	case p == nil || rec.Provider == otpkit.ProviderLOX24:
		answer.err = fmt.Errorf("verify: the code was sent by %s, which this Service does not have: give every instance the same providers", rec.Provider)
	case rec.CodeLength > 0 && len(code) != rec.CodeLength:
		answer.err = &otpkit.ValidationError{Field: "code", Reason: fmt.Sprintf("must be exactly %d digits", rec.CodeLength)}
	default:
		t := s.guard.stopwatch()
		answer = p.check(ctx, s, rec, code)
		ev.Latency = lap(t)
	}
	err = s.settle(ctx, now, ref, rec, rules, answer)
	s.observeStore(ctx, OpCheck, err)
	return err
}

// settle turns a provider's verdict into Check's answer and settles the
// check ReserveCheck reserved at reserved: a right code gives the failure
// back and uses the ref up, an error gives both back, a wrong code keeps
// both (no store call).
func (s *Service) settle(ctx context.Context, reserved time.Time, ref string, rec RefRecord, c CheckRules, a checkAnswer) error {
	var outcome Settlement
	switch a.outcome {
	case outcomeWrong:
		left := c.MaxAttempts - rec.Attempts
		if a.known && a.attemptsLeft < left {
			left = a.attemptsLeft
		}
		if left <= 0 {
			return errAttemptsUsedUp
		}
		return &InvalidCodeError{AttemptsLeft: left}
	case outcomeVerified:
		outcome = SettleVerified
	case outcomeLocked:
		outcome = SettleLocked
	case outcomeGone:
		outcome = SettleGone
	default:
		outcome = SettleUndo
	}
	// The settlement runs even when ctx is done: the provider answered (or
	// failed), and the reservation must follow what it said.
	serr := s.guard.store.SettleCheck(context.WithoutCancel(ctx), reserved, ref, rec, outcome, c)
	if outcome != SettleUndo {
		// The answer stands whatever the store said (the provider
		// answered); a settlement it could not make is reported. It leaves
		// the rules stricter: a failure not given back, a ref not deleted.
		s.observeStore(ctx, OpCheck, storeFailed(serr))
	}
	switch outcome {
	case SettleVerified:
		// Verified at the provider, which never verifies it again: the
		// user is in, even if the store could not give the failure back.
		return nil
	case SettleLocked:
		return errAttemptsUsedUp
	case SettleGone:
		return errRefGone
	}
	if serr != nil {
		return errors.Join(a.err, storeFailed(serr))
	}
	var ve *otpkit.ValidationError
	if errors.As(a.err, &ve) {
		return a.err
	}
	return fmt.Errorf("verify: %s: %w", rec.Provider, a.err)
}

// checkLOX24 checks a code the Guard issued and LOX24 delivered: the ref
// stands for the recipient's live code in the Guard (Send retired the
// recipient's older ref), whose Check counts the attempts and the failure
// budget in one step.
func (s *Service) checkLOX24(ctx context.Context, ref, code string, ev *Event) error {
	now, err := s.guard.now()
	if err != nil {
		return err
	}
	rec, err := s.guard.store.LoadRef(ctx, now, ref)
	switch {
	case errors.Is(err, otpkit.ErrNotFound):
		return errRefGone
	case err != nil:
		return storeFailed(err)
	case rec.Provider != otpkit.ProviderLOX24 || rec.Recipient == "":
		return errRefGone // not what a LOX24 ref holds
	default:
		ev.Channel, ev.Region = rec.Channel, rec.Region
	}
	switch {
	case s.byName[otpkit.ProviderLOX24] == nil:
		return fmt.Errorf("verify: the code was sent by %s, which this Service does not have: give every instance the same providers", rec.Provider)
	case rec.CodeLength > 0 && len(code) != rec.CodeLength:
		return &otpkit.ValidationError{Field: "code", Reason: fmt.Sprintf("must be exactly %d digits", rec.CodeLength)}
	}
	err = s.guard.check(ctx, rec.Recipient, code, rec.Country, rec.Prefix)
	switch {
	case errors.Is(err, otpkit.ErrNotFound):
		_ = s.guard.store.DeleteRef(ctx, ref)
		return errRefGone
	case err == nil, errors.Is(err, otpkit.ErrMaxAttempts):
		// Used up in the Guard; the ref answers ErrNotFound from now on
		// (ErrMaxAttempts while the Guard still holds the locked code).
		if err == nil {
			_ = s.guard.store.DeleteRef(ctx, ref)
		}
	}
	return err
}

// Cancel makes ref verify nothing from then on: Check answers
// otpkit.ErrNotFound. Call it when the user edits the number or gives up.
// Cancelling an unknown, expired or used ref is not an error; a made-up ref
// reaches no store. A store failure is an error satisfying ErrStore.
func (s *Service) Cancel(ctx context.Context, ref string) error {
	if !wellFormedRef(ref) {
		return nil
	}
	return storeFailed(s.guard.store.DeleteRef(ctx, ref))
}

// checkCodeShape refuses a code that is empty, not digits or too long for
// any provider, without saying what it was.
func checkCodeShape(code string) error {
	switch {
	case code == "":
		return &otpkit.ValidationError{Field: "code", Reason: "is empty"}
	case len(code) > 10:
		return &otpkit.ValidationError{Field: "code", Reason: "must be at most 10 digits"}
	case !rules.Digits(code):
		return &otpkit.ValidationError{Field: "code", Reason: "must be digits only"}
	}
	return nil
}
