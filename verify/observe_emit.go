package verify

import (
	"context"
	"errors"
	"time"

	"github.com/otpkit/otpkit"
)

// What the Guard and the Service call to report to the Guard's Observer.
// Each is a no-op without an observer, and none allocates then: build an
// Event only as a literal argument (never an error made for the event
// alone), and time provider calls with stopwatch and lap.

// observing reports whether anyone observes the Guard: do work needed only
// for an event (reading a number's region for a Check) only then.
func (g *Guard) observing() bool { return g.observer != nil }

// emit hands e to the observer. It fills in e.Op from the kind when empty
// and replaces e.Err by its event-safe form (eventError).
func (g *Guard) emit(ctx context.Context, e Event) {
	if g.observer == nil {
		return
	}
	g.observer.Observe(ctx, prepare(e))
}

// prepare makes e what an Observer may rely on.
func prepare(e Event) Event {
	if e.Op == "" {
		e.Op = e.Kind.Op()
	}
	if e.Kind == EventStoreError {
		// What the store's own error says (a key, an address) stays out.
		e.Err = storeEventError(e.Err)
	} else if e.Err != nil {
		e.Err = eventError(e.Err)
	}
	return e
}

// start opens op's scope when the observer wants one (SpanObserver); the
// operation then runs on the context it returns. Otherwise ctx is returned
// as it is.
func (g *Guard) start(ctx context.Context, op Op) context.Context {
	if s, ok := g.observer.(SpanObserver); ok {
		return s.Start(ctx, op)
	}
	return ctx
}

// finish reports the operation's last event (e.Kind.Final()) and closes the
// scope start opened in ctx.
func (g *Guard) finish(ctx context.Context, e Event) {
	if g.observer == nil {
		return
	}
	e = prepare(e)
	g.observer.Observe(ctx, e)
	if s, ok := g.observer.(SpanObserver); ok {
		s.End(ctx, e)
	}
}

// stopwatch starts timing a provider call when someone observes; lap reads
// it. Without an observer neither reads the clock.
func (g *Guard) stopwatch() time.Time {
	if g.observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// lap is the time since t (from stopwatch), at least 1ns so that a provider
// call is never reported as none (Event.Latency); zero for a zero t.
func lap(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return max(time.Since(t), time.Nanosecond)
}

// finishSend ends a Send that returned err (nil: sent): e says what is known
// (Provider, Channel, Region, Latency of the last provider call, if it
// made one); the kind, rule and error come from err.
func (g *Guard) finishSend(ctx context.Context, e Event, err error) {
	if g.observer == nil {
		return
	}
	e.Kind, e.Rule, e.Err = sendFinalKind(err)
	g.finish(ctx, e)
}

// finishCheck ends a Check that returned err (nil: verified), as
// finishSend does a Send.
func (g *Guard) finishCheck(ctx context.Context, e Event, err error) {
	if g.observer == nil {
		return
	}
	e.Kind, e.Rule, e.Err = checkFinalKind(err)
	g.finish(ctx, e)
}

// sendFinalKind is the Final kind of a Send that returned err. (Apart from
// finishSend so that its errors.As target, which escapes, is only made when
// someone observes.)
func sendFinalKind(err error) (EventKind, Rule, error) {
	if err == nil {
		return EventSent, "", nil
	}
	var le *LimitError
	if errors.As(err, &le) {
		return EventSendRefused, le.Rule, err
	}
	return EventSendFailed, "", err
}

// checkFinalKind is the Final kind of a Check that returned err, in the
// order Check's own answers are documented: a refusal, then the code's
// state; anything else (a store, provider or validation error) verified
// nothing and says nothing of the code.
func checkFinalKind(err error) (EventKind, Rule, error) {
	if err == nil {
		return EventVerified, "", nil
	}
	var le *LimitError
	switch {
	case errors.As(err, &le):
		return EventCheckRefused, le.Rule, err
	case errors.Is(err, otpkit.ErrInvalidRequest):
		return EventCheckFailed, "", err
	case errors.Is(err, otpkit.ErrInvalidCode):
		return EventWrongCode, "", err
	case errors.Is(err, otpkit.ErrMaxAttempts):
		return EventLocked, "", err
	case errors.Is(err, otpkit.ErrNotFound):
		return EventExpired, "", err
	}
	return EventCheckFailed, "", err
}
