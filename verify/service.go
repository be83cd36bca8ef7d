package verify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// Service is one verification flow over several providers: Send applies the
// Guard's send rules once, then sends through the first provider that can,
// failing over to the next only when the answer proves nothing went out;
// Check checks the code with the provider that sent it and answers in one
// vocabulary, whichever that was. Every wrong code counts in the recipient's
// failure budget, whichever provider checked it.
//
// The Service keeps its refs in the Guard's Store, so any instance of an app
// sharing the store (redisstore) can check what another sent. It is safe for
// concurrent use.
type Service struct {
	guard     *Guard
	providers []Provider
	byName    map[otpkit.Provider]Provider
	// refBudget is the Guard's store when it can load a ref and check its
	// recipient's failure budget in one step, else nil.
	refBudget RefBudgetLoader
}

// SendRequest asks for a code to be sent.
type SendRequest struct {
	// To is the recipient's phone number in E.164 with "+", e.g.
	// +4917012345678. Each provider gets it in its own format.
	To string
	// Channel is sms, voice, whatsapp or telegram; empty means each
	// provider's default (sms for all three). Providers that cannot serve
	// it are skipped.
	Channel otpkit.Channel
	// IP is the address of the client that asked, for the Guard's IP rule;
	// empty when no client asked.
	IP string
	// Locale is the language of the message, e.g. "en" or "de-AT"; empty
	// means English. Tryvox gets it as is; LOX24 gets its language in
	// capitals ("DE"), or EN when LOX24 has no text in it; dotdigital's
	// default text is English whatever it says.
	Locale string
}

// Sent is a code on its way.
type Sent struct {
	// Ref stands for this verification in Check. It is random and opaque
	// (it reveals neither the recipient nor the code): give it to the
	// client, e.g. in the form that asks for the code.
	Ref string
	// Provider is the API that sent the code.
	Provider otpkit.Provider
	// Channel is the channel asked of the provider (for a LOX24 route, its
	// first step).
	Channel otpkit.Channel
	// ExpiresAt is when the code expires, by the real clock.
	ExpiresAt time.Time
	// Failovers are the errors of the providers tried before, each of which
	// proved that it sent nothing.
	Failovers []error
	// ProviderID is the provider's id of the verification (Tryvox
	// verification id, dotdigital requestId, LOX24 verify code id), for
	// logs and support. Give the client only Ref.
	ProviderID string
}

// SendError is a Send that failed over at least once and still sent nothing
// that the Service knows of. When every provider proved it sent nothing,
// Err is nil and errors.Is finds each of Failovers. When a provider stopped
// the send with an error that does not fail over, Err is that error and
// errors.Is matches it alone: after a timeout the code may be on its way.
type SendError struct {
	// Failovers are the errors that caused a failover, in order.
	Failovers []error
	// Err is the error that ended the send without failover, or nil.
	Err error
}

// Error lists the providers' errors.
func (e *SendError) Error() string {
	var b strings.Builder
	if e.Err != nil {
		b.WriteString("verify: send failed: ")
		b.WriteString(e.Err.Error())
		b.WriteString("; after failing over from: ")
	} else {
		b.WriteString("verify: no provider could send: ")
	}
	for i, err := range e.Failovers {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns Err when it is set, else every failover error.
func (e *SendError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Err}
	}
	return e.Failovers
}

// refGrace is how long a ref outlives its verification's lifetime, so that
// the provider, not the ref, says when a code expired despite clocks apart.
const refGrace = time.Minute

// Answers of Check for a provider's verdict.
var (
	errRefGone   = fmt.Errorf("verify: the code expired or was used, or the ref is unknown: %w", otpkit.ErrNotFound)
	errWrongCode = fmt.Errorf("verify: invalid code (the provider does not say how many attempts are left): %w", otpkit.ErrInvalidCode)
)

// New returns a Service on g that sends through providers in failover
// order. It refuses a nil Guard, no provider, a nil one, a provider with a
// nil client, two providers of one API (a Check finds the provider by its
// API), and LOX24 with a Guard whose CodeLength is more than 8.
func New(g *Guard, providers ...Provider) (*Service, error) {
	if g == nil {
		return nil, &otpkit.ValidationError{Field: "guard", Reason: "is nil"}
	}
	if len(providers) == 0 {
		return nil, &otpkit.ValidationError{Field: "providers", Reason: "are none: give at least one"}
	}
	s := &Service{guard: g, byName: map[otpkit.Provider]Provider{}}
	for _, p := range providers {
		if p == nil || !hasClient(p) {
			return nil, &otpkit.ValidationError{Field: "providers", Reason: "contain a nil provider or client"}
		}
		if _, dup := s.byName[p.Name()]; dup {
			return nil, &otpkit.ValidationError{Field: "providers", Reason: "contain " + string(p.Name()) + " twice"}
		}
		if err := p.ready(g); err != nil {
			return nil, err
		}
		s.byName[p.Name()] = p
		s.providers = append(s.providers, p)
		if p.Name() != otpkit.ProviderLOX24 {
			// Only a provider's own check needs the budget before it (the
			// Guard's Check, LOX24's, minds it itself): a LOX24-only
			// Service reads its refs alone.
			s.refBudget, _ = g.store.(RefBudgetLoader)
		}
	}
	return s, nil
}

// hasClient reports whether p was made with a client.
func hasClient(p Provider) bool {
	switch a := p.(type) {
	case *tryvoxProvider:
		return a != nil && a.c != nil
	case *dotdigitalProvider:
		return a != nil && a.c != nil
	case *lox24Provider:
		return a != nil && a.c != nil
	}
	return false
}

// String names the providers, never a credential.
func (s *Service) String() string {
	names := make([]string, len(s.providers))
	for i, p := range s.providers {
		names[i] = string(p.Name())
	}
	return "verify.Service{providers: " + strings.Join(names, ", ") + "}"
}

// GoString is String.
func (s *Service) GoString() string { return s.String() }

// Send validates req, applies the Guard's send rules once (a refused send is
// a *LimitError and reaches no provider), then sends through the providers
// in order, skipping those that cannot serve req.Channel.
//
// It fails over to the next provider only when the answer proves that
// nothing went out: otpkit.ErrDeliveryFailed, ErrServer (5xx),
// ErrRateLimited, ErrUnauthorized, ErrForbidden, ErrInsufficientFunds,
// ErrMissingCredentials, or a request that never left (otpkit.ErrNotSent:
// refused connection, DNS). It never fails over after a timeout or a reset
// once the request was written (otpkit.ErrUnavailable without ErrNotSent:
// the code may be on its way, and a "resend" goes through the send rules),
// nor on otpkit.ErrInvalidRequest. When a provider sent after others failed
// over, Sent.Failovers lists their errors; when none sent, the error is a
// *SendError (errors.Is finds each provider's error).
func (s *Service) Send(ctx context.Context, req *SendRequest) (*Sent, error) {
	if err := checkSendRequest(req); err != nil {
		return nil, err
	}
	type step struct {
		p  Provider
		ch otpkit.Channel
	}
	var plan []step
	for _, p := range s.providers {
		if ch, ok := p.serves(req.Channel); ok {
			plan = append(plan, step{p, ch})
		}
	}
	if len(plan) == 0 {
		return nil, &otpkit.ValidationError{Field: "Channel", Reason: "is served by no provider of this Service"}
	}
	if err := s.guard.AllowSend(ctx, req.To, req.IP); err != nil {
		return nil, err
	}
	var failovers []error
	for _, st := range plan {
		ps, err := st.p.send(ctx, s, req.To, st.ch, req.Locale)
		if err != nil {
			err = fmt.Errorf("verify: %s: %w", st.p.Name(), err)
			if failsOver(ctx, err) {
				failovers = append(failovers, err)
				continue
			}
			if len(failovers) > 0 {
				return nil, &SendError{Failovers: failovers, Err: err}
			}
			return nil, err
		}
		sent, err := s.keep(ctx, st.p.Name(), st.ch, req.To, ps)
		if err != nil {
			return nil, err
		}
		sent.Failovers = failovers
		return sent, nil
	}
	return nil, &SendError{Failovers: failovers}
}

// checkSendRequest refuses what no provider should get.
func checkSendRequest(req *SendRequest) error {
	if req == nil {
		return &otpkit.ValidationError{Field: "request", Reason: "is nil"}
	}
	if !rules.E164(req.To) {
		return &otpkit.ValidationError{Field: "To", Reason: "must be a phone number in E.164 with + (e.g. +4917012345678)"}
	}
	switch req.Channel {
	case "", otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp, otpkit.ChannelTelegram:
	case otpkit.ChannelEmail:
		return &otpkit.ValidationError{Field: "Channel", Reason: "email is not served: To is a phone number"}
	default:
		return &otpkit.ValidationError{Field: "Channel", Reason: "must be sms, voice, whatsapp, telegram or empty"}
	}
	if len(req.Locale) > 35 || strings.IndexFunc(req.Locale, func(r rune) bool {
		return r > unicode.MaxASCII || !(r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}) >= 0 {
		return &otpkit.ValidationError{Field: "Locale", Reason: "must be a language tag such as en or de-AT"}
	}
	return nil
}

// keep saves the ref of a code a provider sent. The code is out: a failure
// here is returned, never failed over.
func (s *Service) keep(ctx context.Context, p otpkit.Provider, ch otpkit.Channel, to string, ps providerSent) (*Sent, error) {
	now, err := s.guard.now()
	if err != nil {
		return nil, err
	}
	ref := newRef()
	ttl := ps.lifetime + refGrace
	rec := RefRecord{Provider: p, ID: ps.id, Recipient: to, Channel: ch, CodeLength: ps.codeLength}
	if err := s.guard.store.SaveRef(ctx, now, ref, rec, ttl); err != nil {
		return nil, fmt.Errorf("verify: %s sent the code but its ref could not be kept: %w", p, storeFailed(err))
	}
	if p == otpkit.ProviderLOX24 { // see retireLOX24Ref
		rec := RefRecord{Provider: p, ID: ref}
		if err := s.guard.store.SaveRef(ctx, now, s.latestKey(to), rec, ttl); err != nil {
			return nil, fmt.Errorf("verify: %s sent the code but its ref could not be kept: %w", p, storeFailed(err))
		}
	}
	return &Sent{Ref: ref, Provider: p, Channel: ch, ExpiresAt: time.Now().Add(ps.lifetime), ProviderID: ps.id}, nil
}

// retireLOX24Ref deletes the recipient's LOX24 ref, if any: the Guard's
// Issue has just replaced the code it stood for (whether or not LOX24 then
// sends the new one), so it must answer ErrNotFound, not "wrong code", and
// never verify the new code. (Sends to one recipient are apart by the
// Guard's SendInterval; two at once with the rule off may both keep their
// refs, each then checking the recipient's latest code.)
func (s *Service) retireLOX24Ref(ctx context.Context, to string) error {
	now, err := s.guard.now()
	if err != nil {
		return err
	}
	key := s.latestKey(to)
	prev, err := s.guard.store.LoadRef(ctx, now, key)
	switch {
	case errors.Is(err, otpkit.ErrNotFound):
		return nil
	case err != nil:
		return storeFailed(err)
	}
	if err := s.guard.store.DeleteRef(ctx, prev.ID); err != nil {
		return storeFailed(err)
	}
	return storeFailed(s.guard.store.DeleteRef(ctx, key))
}

// latestKey is where the recipient's latest LOX24 ref is kept: a key that no
// ref can be (refs are base64url without ":"), named by a MAC of the
// recipient so that it reveals no number.
func (s *Service) latestKey(recipient string) string {
	return "lox24-latest:" + base64.RawURLEncoding.EncodeToString(s.guard.mac(recipient, "latest LOX24 ref"))
}

// Check checks the code the user entered for ref. It returns nil once, for
// the right code; the ref is then used up. Otherwise, whatever the provider:
//   - *LimitError (RuleFailures): the recipient's failure budget is spent;
//     no provider was asked.
//   - otpkit.ErrInvalidCode: a wrong code; a *InvalidCodeError with the
//     attempts left where the provider says (LOX24 through the Guard,
//     Tryvox through its status; dotdigital does not say).
//   - otpkit.ErrMaxAttempts: the wrong code that locked the code; the ref
//     is used up.
//   - otpkit.ErrNotFound: expired, used, locked before, replaced (an older
//     LOX24 ref) or unknown, including a made-up or altered ref, which
//     reaches no provider.
//   - *otpkit.ValidationError: an empty ref, or a code that is not digits
//     or not as long as the code sent; nothing is counted and no provider
//     asked.
//
// Every wrong code counts in the recipient's failure budget. Any other error
// (a provider or store failure) verifies nothing.
func (s *Service) Check(ctx context.Context, ref, code string) error {
	if ref == "" {
		return &otpkit.ValidationError{Field: "ref", Reason: "is empty"}
	}
	if err := checkCodeShape(code); err != nil {
		return err
	}
	if !wellFormedRef(ref) {
		return errRefGone
	}
	now, err := s.guard.now()
	if err != nil {
		return err
	}
	rec, budget, err := s.loadRef(ctx, now, ref)
	switch {
	case errors.Is(err, otpkit.ErrNotFound):
		return errRefGone
	case err != nil:
		return storeFailed(err)
	}
	p := s.byName[rec.Provider]
	if p == nil {
		return fmt.Errorf("verify: the code was sent by %s, which this Service does not have: give every instance the same providers", rec.Provider)
	}
	if rec.CodeLength > 0 && len(code) != rec.CodeLength {
		return &otpkit.ValidationError{Field: "code", Reason: fmt.Sprintf("must be exactly %d digits", rec.CodeLength)}
	}
	switch {
	case budget != nil && budget != errBudgetUnchecked:
		// The store checked the budget with the ref and it is spent. For
		// LOX24 that is also what the Guard's Check would answer first.
		if err := checkRecipient(rec.Recipient); err != nil {
			return err
		}
		return budget
	case rec.Provider == otpkit.ProviderLOX24:
		// The Guard's Check minds the budget (and the recipient) itself.
	case budget == nil:
		// The store checked the budget with the ref: allowed. A record
		// whose recipient AllowCheck would refuse is refused alike.
		if err := checkRecipient(rec.Recipient); err != nil {
			return err
		}
	default:
		if err := s.guard.AllowCheck(ctx, rec.Recipient); err != nil {
			return err
		}
	}
	return s.settle(ctx, ref, rec.Recipient, rec.Provider, p.check(ctx, s, rec, code))
}

// errBudgetUnchecked is loadRef's budget answer when the store loaded the
// ref alone.
var errBudgetUnchecked = errors.New("verify: failure budget not checked")

// loadRef returns what ref stands for at now and, when the store can check
// the recipient's failure budget with it (RefBudgetLoader: one round trip
// for both), the budget's answer: nil allowed, a *LimitError spent.
// Otherwise budget is errBudgetUnchecked, and the caller asks AllowCheck.
func (s *Service) loadRef(ctx context.Context, now time.Time, ref string) (rec RefRecord, budget, err error) {
	if s.refBudget == nil {
		rec, err = s.guard.store.LoadRef(ctx, now, ref)
		return rec, errBudgetUnchecked, err
	}
	rec, err = s.refBudget.LoadRefAllowCheck(ctx, now, ref, storeRate(s.guard.limits.failures()))
	if err == nil {
		return rec, nil, nil // before le, which escapes: no allocation on the hot path
	}
	var le *LimitError
	if errors.As(err, &le) {
		return rec, &LimitError{Rule: le.Rule, RetryAfter: le.RetryAfter}, nil
	}
	return rec, nil, err
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

// settle turns a provider's verdict into Check's answer, counting wrong
// codes in the failure budget and using up refs that can verify no more.
func (s *Service) settle(ctx context.Context, ref, recipient string, p otpkit.Provider, a checkAnswer) error {
	switch a.outcome {
	case outcomeVerified:
		// Used up where it counts: the provider never verifies a
		// verification twice (Tryvox answers 404, dotdigital 204), and a
		// check of it then deletes the ref (outcomeGone). Not deleting it
		// now saves a store write on every success.
		return nil
	case outcomeWrong, outcomeLocked:
		if err := s.guard.RecordFailure(ctx, recipient); err != nil {
			var le *LimitError
			if !errors.As(err, &le) { // spent meanwhile: the answer stays the wrong code it was
				return err
			}
		}
		if a.outcome == outcomeLocked {
			_ = s.guard.store.DeleteRef(ctx, ref)
			return errAttemptsUsedUp
		}
		if a.known {
			return &InvalidCodeError{AttemptsLeft: a.attemptsLeft}
		}
		return errWrongCode
	case outcomeGone:
		_ = s.guard.store.DeleteRef(ctx, ref)
		return errRefGone
	case outcomeGuard:
		// A verified code is used up in the Guard, as with the providers.
		if errors.Is(a.err, otpkit.ErrMaxAttempts) || errors.Is(a.err, otpkit.ErrNotFound) {
			_ = s.guard.store.DeleteRef(ctx, ref)
		}
		if errors.Is(a.err, otpkit.ErrNotFound) {
			return errRefGone
		}
		return a.err
	}
	return fmt.Errorf("verify: %s: %w", p, a.err)
}
