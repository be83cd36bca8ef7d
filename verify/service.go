package verify

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/mask"
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
}

// SendRequest asks for a code to be sent.
type SendRequest struct {
	// To is the recipient's phone number, e.g. +4917012345678; any
	// spelling ParseNumber reads ("+49 170 1234567", "0049…", national
	// with Region). Send canonicalises it before any rule, and each
	// provider gets it in its own format. A number whose type or country
	// the Limits refuse (premium rate; sms to a fixed line) is a
	// *LimitError with RuleNumberType or RuleCountry and RetryAfter 0,
	// before any provider is asked.
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
	// Region is the region (ISO 3166-1 alpha-2, e.g. "DE") a national To
	// is read in ("0170 1234567"); empty means To must be international
	// ("+49…" or "0049…"). Send reads To with ParseNumber, so every
	// spelling of one number is one recipient.
	Region string
	// IdempotencyKey, when set (at most 255 bytes), makes the Send safe to
	// repeat: a Send with a key seen within Limits.CodeTTL, on any instance
	// sharing the store, sends nothing and counts nothing, and returns the
	// first Send's *Sent (the same Ref), or ErrSendInProgress while that
	// first Send runs (or when it ended not knowing whether a code went
	// out). Never two messages for one key. Reusing a key with another To
	// or Channel is a *otpkit.ValidationError (field idempotency_key). A
	// Send that ended with nothing sent frees its key. Pass what the
	// client sent with its request (e.g. an Idempotency-Key header), so
	// that a double submit or a retried request sends one code.
	IdempotencyKey string
}

// Format implements fmt.Formatter so that neither the recipient nor the
// client's address shows in logs, with any verb: To prints masked ("+49…",
// an e-mail address as [REDACTED]) and IP as [REDACTED] (one rule for
// both: a number keeps its first 2 digits, anything else shows nothing).
// The other fields print as they are; read the fields to get at the values.
func (r SendRequest) Format(f fmt.State, verb rune) {
	type plain SendRequest // without this method
	p := plain(r)
	p.To, p.IP = mask.Personal(p.To), mask.Personal(p.IP)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue implements slog.LogValuer: a SendRequest logged with slog shows
// as its %+v form, recipient and address masked, with any handler (the
// JSON handler would otherwise encode both).
func (r SendRequest) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", r)) }

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

// SendError is a Send that sent nothing that the Service knows of, after
// failing over at least once or with a code that may be on its way. When
// every provider proved it sent nothing, Err is nil and errors.Is finds each
// of Failovers; every send rule's count was then taken back. When a provider
// stopped the send with an error that does not fail over, Err is that error
// and errors.Is matches it alone: after a timeout the code may be on its
// way, and the send stays counted.
type SendError struct {
	// Failovers are the errors that caused a failover, in order.
	Failovers []error
	// Err is the error that ended the send without failover, or nil.
	Err error
	// MaybeSent is set when the code may be on its way and can still be
	// checked: LOX24's answer was lost after the request may have left
	// (otpkit.ErrUnavailable without otpkit.ErrNotSent). The Guard made the
	// code, so its ref was kept before the request: if the user receives
	// the code, Check(MaybeSent.Ref, code) verifies it. Nil for Tryvox and
	// dotdigital, which give no id without an answer.
	MaybeSent *Sent
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

// refGrace is how long a ref outlives a provider's verification lifetime
// (when that is shorter than Limits.CodeTTL), so that the provider, not the
// ref, says when its code expired despite clocks apart.
const refGrace = time.Minute

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

// Format implements fmt.Formatter: every verb (%v, %+v, %#v, %s, %d, %x …)
// prints String, so that no verb reaches the fields, where fmt would print
// the secret's bytes or the client's options (%d and %x ignore String).
func (s *Service) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
