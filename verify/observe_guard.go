package verify

import (
	"context"
	"errors"
)

// What the Guard's public methods report when an app uses the Guard alone,
// around its own calls to the providers. The Service calls the unexported
// cores (allowSend, check, issue), never these methods, so that none of its
// operations is counted twice.
//
// Each is a no-op without an observer and allocates nothing then: the
// errors.As target below is only made inside the observing branch.

// observeAllowSend reports what AllowSend refused: a rule's refusal is a
// send refused (Rule, Err, and the recipient's Region when it is a phone
// number), a store failure a store error. An allowed send reports nothing:
// the app sends, and only it knows how that went. An invalid recipient or
// IP reports nothing either (no decision was made).
func (g *Guard) observeAllowSend(ctx context.Context, recipient string, err error) {
	if err == nil || g.observer == nil {
		return
	}
	var le *LimitError
	switch {
	case errors.As(err, &le):
		g.emit(ctx, Event{Kind: EventSendRefused, Op: OpSend, Region: eventRegion(recipient), Rule: le.Rule, Err: err})
	case errors.Is(err, ErrStore):
		g.emit(ctx, Event{Kind: EventStoreError, Op: OpSend, Err: err})
	}
}

// observeAllowCheck reports what AllowCheck refused: the failure budget's
// refusal is a check refused, a store failure a store error.
func (g *Guard) observeAllowCheck(ctx context.Context, err error) {
	if err == nil || g.observer == nil {
		return
	}
	var le *LimitError
	switch {
	case errors.As(err, &le):
		g.emit(ctx, Event{Kind: EventCheckRefused, Op: OpCheck, Rule: le.Rule, Err: err})
	case errors.Is(err, ErrStore):
		g.emit(ctx, Event{Kind: EventStoreError, Op: OpCheck, Err: err})
	}
}

// observeStoreError reports err when the store failed (RecordFailure within
// a check, op OpCheck; Issue and Unlock outside an operation, op "").
func (g *Guard) observeStoreError(ctx context.Context, op Op, err error) {
	if err != nil && g.observer != nil && errors.Is(err, ErrStore) {
		g.emit(ctx, Event{Kind: EventStoreError, Op: op, Err: err})
	}
}

// checkOp is Guard.Check as one operation: its scope (a verify.Check span)
// around the check, a store error event when the store failed, and the
// final event its answer makes (verified, wrong code, locked, expired,
// refused or failed; no provider: the app's provider sent the code).
func (g *Guard) checkOp(ctx context.Context, recipient, code string) error {
	ctx = g.start(ctx, OpCheck)
	err := g.checkRecipient(ctx, recipient, code)
	g.observeStoreError(ctx, OpCheck, err)
	g.finishCheck(ctx, Event{}, err)
	return err
}

// eventRegion is the region of a phone number recipient, for an event; "" for
// an e-mail address, or a number of no single region.
func eventRegion(recipient string) string {
	if recipient == "" || recipient[0] != '+' {
		return ""
	}
	n, err := ParseNumber(recipient, "")
	if err != nil || len(n.Region) != 2 || n.Region[0] < 'A' || n.Region[0] > 'Z' {
		return ""
	}
	return n.Region
}
