package verify

import (
	"context"
	"log/slog"
)

// NewSlogObserver returns an Observer that writes one line per Event to l
// (slog.Default() when l is nil). The message is "verify: " and the kind
// ("verify: send refused"); the attributes are event (the kind's String),
// op, provider, channel, region, rule, latency and err, each only when set.
// No line holds a phone number, e-mail address, IP address, code or ref.
//
// Levels, so that an app can log the flow at Info and alert on the rest:
//   - Info: what a working flow does: sent, verified, wrong code, expired.
//   - Warn: what someone should look at when it piles up: a refusal (send
//     or check), a rule that would refuse under Limits.Monitor, a failover,
//     a locked code (guessing), a failed send or check (a provider down,
//     bad input).
//   - Error: the store failed: no decision can be made until it is back.
//
// The request's context goes to the logger, so a handler can add the trace
// and span ids (package otelverify's span, when both observe).
func NewSlogObserver(l *slog.Logger) Observer {
	if l == nil {
		l = slog.Default()
	}
	return slogObserver{l}
}

// slogObserver is NewSlogObserver's Observer.
type slogObserver struct{ l *slog.Logger }

// slogMessages are the lines' messages by kind.
var slogMessages = [...]string{
	EventSent:         "verify: sent",
	EventSendRefused:  "verify: send refused",
	EventSendFailed:   "verify: send failed",
	EventFailover:     "verify: failover",
	EventVerified:     "verify: verified",
	EventWrongCode:    "verify: wrong code",
	EventLocked:       "verify: locked",
	EventExpired:      "verify: expired",
	EventCheckRefused: "verify: check refused",
	EventCheckFailed:  "verify: check failed",
	EventStoreError:   "verify: store error",
	EventWouldRefuse:  "verify: would refuse (monitor)",
}

// slogLevel is the level of a line for an event of kind k.
func slogLevel(k EventKind) slog.Level {
	switch k {
	case EventSent, EventVerified, EventWrongCode, EventExpired:
		return slog.LevelInfo
	case EventStoreError:
		return slog.LevelError
	}
	return slog.LevelWarn
}

// Observe writes e's line.
func (o slogObserver) Observe(ctx context.Context, e Event) {
	level := slogLevel(e.Kind)
	if !o.l.Enabled(ctx, level) {
		return
	}
	// prepare again (a no-op for an Event from a Guard): an app's own call
	// of Observe may carry a raw error.
	e = prepare(e)
	msg := "verify: unknown event"
	if int(e.Kind) < len(slogMessages) && slogMessages[e.Kind] != "" {
		msg = slogMessages[e.Kind]
	}
	var buf [8]slog.Attr
	a := append(buf[:0], slog.String("event", e.Kind.String()))
	if e.Op != "" {
		a = append(a, slog.String("op", string(e.Op)))
	}
	if e.Provider != "" {
		a = append(a, slog.String("provider", string(e.Provider)))
	}
	if e.Channel != "" {
		a = append(a, slog.String("channel", string(e.Channel)))
	}
	if e.Region != "" {
		a = append(a, slog.String("region", e.Region))
	}
	if e.Rule != "" {
		a = append(a, slog.String("rule", string(e.Rule)))
	}
	if e.Latency > 0 {
		a = append(a, slog.Duration("latency", e.Latency))
	}
	if e.Err != nil {
		a = append(a, slog.String("err", e.Err.Error()))
	}
	o.l.LogAttrs(ctx, level, msg, a...)
}
