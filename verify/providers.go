package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// Provider is one phone-verification API a Service sends codes through:
// make it with Tryvox, Dotdigital or LOX24. Its other methods are
// unexported: a Service knows how to map these three providers' answers,
// and no others.
type Provider interface {
	// Name is the API the provider calls.
	Name() otpkit.Provider
	// serves returns the channel the provider would be asked for when the
	// request asks for ch ("" for its default), and false when it cannot
	// serve ch.
	serves(ch otpkit.Channel) (otpkit.Channel, bool)
	// ready checks the provider against the Service's Guard in New.
	ready(g *Guard) error
	// send sends a code as o says.
	send(ctx context.Context, s *Service, o outgoing) (providerSent, error)
	// check checks code for the verification of r.
	check(ctx context.Context, s *Service, r RefRecord, code string) checkAnswer
}

// outgoing is one code to send through a provider.
type outgoing struct {
	to     string         // E.164 with "+"
	ch     otpkit.Channel // what serves returned
	locale string
	ref    string // the ref the Service keeps it under
	// country and prefix are where a verified code counts in the
	// conversion guard (the send's SendRules).
	country, prefix string
	region          string // the recipient's region, for events
}

// providerSent is what a provider's send gives the Service.
type providerSent struct {
	id         string
	lifetime   time.Duration
	codeLength int
	// subject is the recipient's pseudonym, the key of its failure budget.
	subject string
	// saved: the provider saved the ref itself, before its request
	// (LOX24), also when it then returns an error.
	saved bool
	// unsent: the error came before the provider's request left (LOX24's
	// store steps): nothing went out.
	unsent bool
}

// checkAnswer is a provider's check in the Service's vocabulary.
type checkAnswer struct {
	outcome checkOutcome
	// attemptsLeft is the code's attempts left after a wrong code, when
	// known (known).
	attemptsLeft int
	known        bool
	// err is the error to return (outcomeError, and LOX24 answers, which
	// the Guard already gave in the Service's vocabulary).
	err error
}

// checkOutcome is what a provider said of a code.
type checkOutcome int

const (
	outcomeError    checkOutcome = iota // err says it; nothing to count
	outcomeVerified                     // right code: the ref is used up
	outcomeWrong                        // wrong code: one failure
	outcomeLocked                       // wrong code that locked: one failure, the ref is used up
	outcomeGone                         // expired, used or unknown: the ref is used up
	outcomeGuard                        // the Guard checked (LOX24): err is its answer, counted
)

// defaultLifetime is a verification's lifetime when a provider does not say
// (Tryvox and dotdigital document 10 minutes).
const defaultLifetime = 10 * time.Minute

// providerCodeLength is the length of the codes Tryvox and dotdigital send
// by default.
const providerCodeLength = 6

// ---------------------------------------------------------------------------
// Tryvox

// tryvoxProvider adapts the Tryvox calls.
type tryvoxProvider struct{ c *otpkit.Client }

// Tryvox is the Tryvox verify API of c: sms, voice and whatsapp (default
// sms). Tryvox makes, sends and checks the code (StartVerification,
// CheckCode) and allows 5 checks of it; the code has the Guard's CodeLength
// when that is 4 to 8 digits, else Tryvox's 6.
func Tryvox(c *otpkit.Client) Provider { return &tryvoxProvider{c: c} }

// Name implements Provider.
func (p *tryvoxProvider) Name() otpkit.Provider { return otpkit.ProviderTryvox }

func (p *tryvoxProvider) serves(ch otpkit.Channel) (otpkit.Channel, bool) {
	switch ch {
	case "":
		return otpkit.ChannelSMS, true
	case otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp:
		return ch, true
	}
	return "", false
}

func (p *tryvoxProvider) ready(*Guard) error { return nil }

func (p *tryvoxProvider) send(ctx context.Context, s *Service, o outgoing) (providerSent, error) {
	to, ch, locale := o.to, o.ch, o.locale
	n := s.guard.limits.CodeLength
	if n > 8 {
		n = providerCodeLength
	}
	v, err := p.c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to, Channel: ch, CodeLength: n, Locale: locale})
	if err != nil {
		return providerSent{}, err
	}
	// The lifetime is measured in the provider's own frame (its expiry
	// minus its creation), so that no clock of ours enters it.
	life := defaultLifetime
	if !v.ExpiresAt.IsZero() && !v.CreatedAt.IsZero() && v.ExpiresAt.After(v.CreatedAt) {
		life = v.ExpiresAt.Sub(v.CreatedAt)
	}
	return providerSent{id: v.ID, lifetime: life, codeLength: n, subject: s.guard.pseudonym(pseudoRecipient, to)}, nil
}

func (p *tryvoxProvider) check(ctx context.Context, _ *Service, r RefRecord, code string) checkAnswer {
	v, err := p.c.CheckCode(ctx, r.ID, code)
	switch {
	case err == nil && v.Status == otpkit.VerificationApproved:
		return checkAnswer{outcome: outcomeVerified}
	case err == nil:
		return checkAnswer{err: fmt.Errorf("verify: tryvox answered status %q to a check: %w", v.Status, otpkit.ErrServer)}
	case errors.Is(err, otpkit.ErrInvalidCode):
		// Tryvox's wrong-code answer has no count: the ref's own count
		// says how many are left (every check of the code went through
		// it), without a second request.
		return checkAnswer{outcome: outcomeWrong}
	case errors.Is(err, otpkit.ErrMaxAttempts):
		return checkAnswer{outcome: outcomeLocked}
	case errors.Is(err, otpkit.ErrNotFound):
		return checkAnswer{outcome: outcomeGone}
	}
	return checkAnswer{err: err}
}

// ---------------------------------------------------------------------------
// dotdigital

// dotdigitalProvider adapts the dotdigital calls.
type dotdigitalProvider struct{ c *otpkit.Client }

// Dotdigital is the dotdigital CPaaS Verify API of c: sms only. dotdigital
// makes, sends and checks a 6-digit code (SendCode, ValidateCode) and locks
// it after 5 wrong codes; it gets the number in international digits
// without "+", and a validUntil of the Guard's CodeTTL from now by the real
// clock (when that is at most 24 hours, dotdigital's limit).
func Dotdigital(c *otpkit.Client) Provider { return &dotdigitalProvider{c: c} }

// Name implements Provider.
func (p *dotdigitalProvider) Name() otpkit.Provider { return otpkit.ProviderDotdigital }

func (p *dotdigitalProvider) serves(ch otpkit.Channel) (otpkit.Channel, bool) {
	if ch == "" || ch == otpkit.ChannelSMS {
		return otpkit.ChannelSMS, true
	}
	return "", false
}

func (p *dotdigitalProvider) ready(*Guard) error { return nil }

func (p *dotdigitalProvider) send(ctx context.Context, s *Service, o outgoing) (providerSent, error) {
	to := o.to
	req := &otpkit.SendCodeRequest{To: strings.TrimPrefix(to, "+")}
	life := defaultLifetime
	if ttl := s.guard.limits.CodeTTL; ttl <= 24*time.Hour {
		life = ttl
		req.ValidUntil = time.Now().Add(ttl) // real time: the provider's clock is not the Guard's
	}
	st, err := p.c.SendCode(ctx, req)
	if err != nil {
		return providerSent{}, err
	}
	return providerSent{id: st.RequestID, lifetime: life, codeLength: providerCodeLength, subject: s.guard.pseudonym(pseudoRecipient, to)}, nil
}

func (p *dotdigitalProvider) check(ctx context.Context, _ *Service, r RefRecord, code string) checkAnswer {
	st, err := p.c.ValidateCode(ctx, r.ID, code)
	switch {
	case errors.Is(err, otpkit.ErrNotFound):
		return checkAnswer{outcome: outcomeGone}
	case err != nil:
		return checkAnswer{err: err}
	}
	switch st.Status {
	case otpkit.CodeVerified:
		return checkAnswer{outcome: outcomeVerified}
	case otpkit.CodeNotVerified:
		return checkAnswer{outcome: outcomeWrong} // dotdigital does not say how many are left
	case otpkit.CodeLocked:
		return checkAnswer{outcome: outcomeLocked}
	case otpkit.CodeExpired:
		return checkAnswer{outcome: outcomeGone}
	}
	return checkAnswer{err: fmt.Errorf("verify: dotdigital answered status %q to a check: %w", st.Status, otpkit.ErrServer)}
}

// ---------------------------------------------------------------------------
// LOX24

// lox24Provider adapts LOX24, which only delivers: the Guard makes and
// checks the code.
type lox24Provider struct {
	c     *otpkit.Client
	route []otpkit.RoutingStep
}

// LOX24 is the LOX24 verify-code API of c. LOX24 only delivers: the Guard
// issues the code (Guard.Issue), CreateVerifyCode sends it with
// IsCodeDeleted, so that LOX24 forgets it once delivered, and the Guard
// checks it (Guard.Check, with Limits.MaxAttempts and CodeTTL). The code
// rests nowhere in clear.
//
// Without route it serves telegram, voice or sms as a one-step route
// (default sms). With a route it sends the route as given; a request for a
// channel is served only when it is the route's first step's.
func LOX24(c *otpkit.Client, route ...otpkit.RoutingStep) Provider {
	return &lox24Provider{c: c, route: append([]otpkit.RoutingStep(nil), route...)}
}

// Name implements Provider.
func (p *lox24Provider) Name() otpkit.Provider { return otpkit.ProviderLOX24 }

func (p *lox24Provider) serves(ch otpkit.Channel) (otpkit.Channel, bool) {
	if len(p.route) > 0 {
		first := p.route[0].Channel
		return first, ch == "" || ch == first
	}
	switch ch {
	case "":
		return otpkit.ChannelSMS, true
	case otpkit.ChannelTelegram, otpkit.ChannelVoice, otpkit.ChannelSMS:
		return ch, true
	}
	return "", false
}

// ready refuses a Guard whose codes LOX24 cannot send, and a route LOX24
// would refuse (checked as CreateVerifyCode checks it), so that a
// misconfiguration shows in New, not in every Send after the Guard issued a
// code.
func (p *lox24Provider) ready(g *Guard) error {
	if n := g.limits.CodeLength; n > 8 {
		return &otpkit.ValidationError{Field: "Limits.CodeLength",
			Reason: "must be at most 8 digits with LOX24, which sends codes of 4 to 8 digits"}
	}
	if len(p.route) == 0 {
		return nil
	}
	phone, code := "+4917012345678", strings.Repeat("0", g.limits.CodeLength)
	steps := make([]rules.LOX24Step, len(p.route))
	for i := range p.route {
		st := &p.route[i]
		ch := string(st.Channel)
		steps[i] = rules.LOX24Step{Channel: &ch, SenderID: nonEmpty(st.SenderID), Template: nonEmpty(st.Template)}
		if st.TimeoutSec != 0 {
			steps[i].TimeoutSec = &st.TimeoutSec
		}
	}
	if vs := rules.LOX24CreateViolations(rules.LOX24Create{Phone: &phone, Code: &code, RoutingStrategy: steps}, nil); len(vs) > 0 {
		return &otpkit.ValidationError{Field: "LOX24 route: " + vs[0].Field, Reason: vs[0].Message}
	}
	return nil
}

// nonEmpty is &s, or nil for "" (an omitted field).
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (p *lox24Provider) send(ctx context.Context, s *Service, o outgoing) (providerSent, error) {
	to, ch, locale, ref := o.to, o.ch, o.locale, o.ref
	route := p.route
	if len(route) == 0 {
		route = []otpkit.RoutingStep{{Channel: ch}}
	}
	subject := s.guard.pseudonym(pseudoRecipient, to)
	code, err := s.guard.issue(ctx, subject)
	if err != nil {
		return providerSent{unsent: true}, err // a store failure: no failover, the Guard fails closed
	}
	if err := s.saveLOX24Ref(ctx, subject, o, len(code)); err != nil {
		return providerSent{unsent: true}, err
	}
	ps := providerSent{lifetime: s.guard.limits.CodeTTL, codeLength: len(code), subject: subject, saved: true}
	vc, err := p.c.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{
		Phone: to, Code: code, Lang: lox24Lang(locale), IsCodeDeleted: true, RoutingStrategy: route,
	})
	if err != nil {
		if failsOver(ctx, err) {
			// Nothing went out: the ref must not stand for a code.
			_ = s.guard.store.DeleteRef(context.WithoutCancel(ctx), ref)
		}
		return ps, err
	}
	ps.id = vc.ID
	return ps, nil
}

// check is never called: the Service checks LOX24 refs with the Guard
// (Service.checkLOX24), which counts attempts and failures itself.
func (p *lox24Provider) check(context.Context, *Service, RefRecord, string) checkAnswer {
	return checkAnswer{err: errors.New("verify: LOX24 codes are checked by the Guard")}
}

// lox24Lang is the LOX24 lang for a locale such as "en" or "de-AT": its
// language in capitals when LOX24 has it, else EN (LOX24's own default, DE,
// would surprise an app that asked for nothing).
func lox24Lang(locale string) string {
	lang := strings.ToUpper(locale)
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	for _, l := range rules.LOX24Langs {
		if l == lang {
			return l
		}
	}
	return "EN"
}
