package verify

import (
	"context"
	"time"
)

// RefBudgetLoader is an optional capability of a Store: reading a ref and
// checking its recipient's failure budget in one step, so that a
// Service.Check of a Tryvox or dotdigital code costs one store round trip
// before the provider is asked, not two (LoadRef, then AllowCheck).
// MemoryStore and redisstore (on one server or Sentinel) implement it; a
// Service falls back to the two calls for a store that does not. Stores
// that cannot do it in one step (a Redis Cluster, where the ref and the
// recipient live in different slots) may implement it as the two calls.
type RefBudgetLoader interface {
	// LoadRefAllowCheck returns what ref holds at now, as LoadRef does (an
	// error satisfying otpkit.ErrNotFound when it holds nothing), and
	// checks the failure budget of the record's Recipient as AllowCheck
	// does, recording nothing. When the budget is spent it returns the
	// record together with a *LimitError (RuleFailures, RetryAfter counted
	// from now), so that the caller still knows what the ref stands for. A
	// record without a Recipient, or a zero failures, checks no budget.
	LoadRefAllowCheck(ctx context.Context, now time.Time, ref string, failures Rate) (RefRecord, error)
}
