package verify

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
)

// Observer receives an Event for every decision a Guard makes and every
// provider call a Service makes: what a log line, a metric or a trace span
// needs, and nothing that identifies a person. Give one to NewGuard with
// WithObserver; NewSlogObserver writes events to a log/slog.Logger, and
// package otelverify turns them into OpenTelemetry metrics and spans.
//
// Observe is called synchronously on the request's goroutine, from many
// goroutines at once: it must be safe for concurrent use and quick (hand slow
// work to another goroutine). ctx is the request's context (inside a Send or
// Check, the one a SpanObserver's Start returned), so that an observer can
// find the current trace span.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// SpanObserver is an Observer that wants a scope around each Send and Check,
// such as a trace span (package otelverify). The Service calls Start before
// anything else an operation does, passes the context it returns to every
// call the operation makes (the provider's HTTP calls included, so that an
// instrumented transport's spans become the operation's children), delivers
// the operation's events with it, and ends with End on the same context,
// once, after Observe got the operation's last event (e.Kind.Final()).
type SpanObserver interface {
	Observer
	// Start opens the scope of op and returns the context that carries it.
	Start(ctx context.Context, op Op) context.Context
	// End closes the scope Start opened in ctx; e is the operation's last
	// event, which says how it ended.
	End(ctx context.Context, e Event)
}

// Op names the operation an Event belongs to.
type Op string

// The operations that events belong to; OpSend and OpCheck are also the
// values of otelverify's otpkit.operation attribute.
const (
	// OpSend is Service.Send, and the Guard's send rules (AllowSend).
	OpSend Op = "send"
	// OpCheck is Service.Check, and the Guard's checks (Check, AllowCheck).
	OpCheck Op = "check"
)

// EventKind says what an Event reports.
type EventKind uint8

// The kinds of Event. Every Service.Send ends with exactly one of EventSent,
// EventSendRefused and EventSendFailed; every Service.Check with exactly one
// of EventVerified, EventWrongCode, EventLocked, EventExpired,
// EventCheckRefused and EventCheckFailed (these are the Final kinds). The
// other kinds may come before, any number of times.
const (
	// EventSent: a provider took the code (Provider, Channel, Region;
	// Latency is that provider call).
	EventSent EventKind = iota + 1
	// EventSendRefused: a send rule refused; Rule says which, Err is the
	// *LimitError. No provider was asked.
	EventSendRefused
	// EventSendFailed: the send ended without a code known to be on its way:
	// an invalid request (Err is a *otpkit.ValidationError), a store error,
	// a provider error that does not fail over (Provider and Latency say
	// which call), or every provider failed over (no Provider; the
	// EventFailover events before it name them).
	EventSendFailed
	// EventFailover: a provider proved it sent nothing and the send moves on
	// to the next; Provider is the one failed over from, Latency its call,
	// Err its error.
	EventFailover
	// EventVerified: the right code; the ref is used up.
	EventVerified
	// EventWrongCode: a wrong code that leaves attempts (Err says how many
	// when known).
	EventWrongCode
	// EventLocked: the code's attempts are used up, by this wrong code or
	// before it.
	EventLocked
	// EventExpired: no live code: expired, used, cancelled, replaced or an
	// unknown ref.
	EventExpired
	// EventCheckRefused: a rule refused the check before any provider was
	// asked (the recipient's failure budget: Rule is RuleFailures).
	EventCheckRefused
	// EventCheckFailed: the check ended in an error that says nothing of the
	// code: an invalid request, a store error, or a provider error (Provider
	// and Latency say which call). Nothing was verified.
	EventCheckFailed
	// EventStoreError: the Store failed (Err). It comes in addition to the
	// operation's Final event when the failure ends the operation, and alone
	// when the operation goes on without the store's answer (a ref that
	// could not be deleted after a check), so that an app can alert on its
	// store apart from its providers.
	EventStoreError
	// EventWouldRefuse: with Limits.Monitor, a rule (Rule) that would have
	// refused this send; the send goes on.
	EventWouldRefuse
)

// eventKindNames are the kinds' String values: short snake_case words,
// usable as a log message or an attribute value.
var eventKindNames = [...]string{
	EventSent:         "sent",
	EventSendRefused:  "send_refused",
	EventSendFailed:   "send_failed",
	EventFailover:     "failover",
	EventVerified:     "verified",
	EventWrongCode:    "wrong_code",
	EventLocked:       "locked",
	EventExpired:      "expired",
	EventCheckRefused: "check_refused",
	EventCheckFailed:  "check_failed",
	EventStoreError:   "store_error",
	EventWouldRefuse:  "would_refuse",
}

// String is the kind's name, such as "send_refused"; "unknown" for a value
// that is none of the kinds.
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && eventKindNames[k] != "" {
		return eventKindNames[k]
	}
	return "unknown"
}

// Final reports whether an event of kind k is the last of its operation:
// the outcome of a Send or a Check.
func (k EventKind) Final() bool {
	switch k {
	case EventSent, EventSendRefused, EventSendFailed,
		EventVerified, EventWrongCode, EventLocked, EventExpired, EventCheckRefused, EventCheckFailed:
		return true
	}
	return false
}

// Op is the operation an event of kind k belongs to, or "" for
// EventStoreError, which can happen in either.
func (k EventKind) Op() Op {
	switch k {
	case EventSent, EventSendRefused, EventSendFailed, EventFailover, EventWouldRefuse:
		return OpSend
	case EventVerified, EventWrongCode, EventLocked, EventExpired, EventCheckRefused, EventCheckFailed:
		return OpCheck
	}
	return ""
}

// Event is one decision of a Guard or one provider call of a Service. It
// holds no phone number, e-mail address, IP address, code or ref: only
// what is safe in a log line or a metric label.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// Op is the operation the event belongs to (OpSend or OpCheck); empty
	// for a store error outside of one (Guard.Issue, Guard.Unlock).
	Op Op
	// Provider is the provider that was called or that sent the code being
	// checked; empty when none was (a refused send, an unknown ref).
	Provider otpkit.Provider
	// Channel is the channel asked of the provider (or asked for, before
	// one was chosen); empty when unknown.
	Channel otpkit.Channel
	// Region is the recipient's region, ISO 3166-1 alpha-2 ("DE"), when
	// known; empty for an e-mail address or before the number was read.
	Region string
	// Rule is the rule that refused (EventSendRefused, EventCheckRefused) or
	// would have refused (EventWouldRefuse).
	Rule Rule
	// Latency is how long the provider call the event reports took: set
	// (never zero) exactly when the event reports a provider call, zero
	// otherwise.
	Latency time.Duration
	// Err is the error, if any. Its text names no person, code or ref (a
	// provider's or the network's own text is replaced by what it means),
	// while errors.Is matches what the original error matched and errors.As
	// finds *LimitError, *InvalidCodeError and *otpkit.ValidationError.
	Err error
}

// WithObserver gives the Guard, and every Service on it, an Observer of its
// decisions and provider calls (see Event). Use Observers to give several.
// Without it nothing is observed, at no cost.
//
// A Service reports each Send and Check as one operation. A Guard used
// alone, around the app's own provider calls, reports its own decisions:
// Check is one operation (its span and one final event, no provider); a
// refusal of AllowSend is an EventSendRefused and one of AllowCheck an
// EventCheckRefused (no span: the app owns the operation); a store failure
// in any method is an EventStoreError. What the Guard allows reports
// nothing: only the app knows how its send or its provider's check went.
// The Service never calls these methods, so nothing is counted twice.
func WithObserver(o Observer) GuardOption {
	return func(g *Guard) error {
		if o == nil {
			return &otpkit.ValidationError{Field: "observer", Reason: "is nil"}
		}
		g.observer = o
		return nil
	}
}

// Observers returns an Observer that hands every event to each of obs in
// order, e.g. a log and OpenTelemetry at once. It is a SpanObserver when any
// of obs is: Start runs each one's Start in order, each on the context the
// one before returned, and End runs each one's End on the last context.
// Nil observers are skipped.
func Observers(obs ...Observer) Observer {
	var m multiObserver
	for _, o := range obs {
		if o == nil {
			continue
		}
		m.all = append(m.all, o)
		if s, ok := o.(SpanObserver); ok {
			m.spans = append(m.spans, s)
		}
	}
	if len(m.spans) == 0 {
		return plainObservers(m.all)
	}
	return &m
}

// plainObservers fans events out to observers none of which wants a scope.
type plainObservers []Observer

// Observe hands e to each observer.
func (m plainObservers) Observe(ctx context.Context, e Event) {
	for _, o := range m {
		o.Observe(ctx, e)
	}
}

// multiObserver fans events out to observers some of which want a scope.
type multiObserver struct {
	all   []Observer
	spans []SpanObserver
}

// Observe hands e to each observer.
func (m *multiObserver) Observe(ctx context.Context, e Event) {
	for _, o := range m.all {
		o.Observe(ctx, e)
	}
}

// Start opens each scope in turn.
func (m *multiObserver) Start(ctx context.Context, op Op) context.Context {
	for _, s := range m.spans {
		ctx = s.Start(ctx, op)
	}
	return ctx
}

// End closes the scopes, the last opened first.
func (m *multiObserver) End(ctx context.Context, e Event) {
	for i := len(m.spans) - 1; i >= 0; i-- {
		m.spans[i].End(ctx, e)
	}
}
