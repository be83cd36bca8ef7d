package verify

import "time"

// window is a sliding-window log: the times (Unix nanoseconds, ascending)
// of the events a Rate counts. It never holds more than the rule's Count
// entries, so its size is bounded by the rule.
type window []int64

// prune drops the entries that no longer count at now (those at or before
// now-per) and returns the rest.
func (w window) prune(now int64, per time.Duration) window {
	cut := now - int64(per)
	i := 0
	for i < len(w) && w[i] <= cut {
		i++
	}
	if i == len(w) {
		return nil
	}
	return w[i:]
}

// allowedAt returns when a window of r that counts w (pruned) allows the
// next event: now when it has room, else when enough entries leave it.
func (w window) allowedAt(now int64, r Rate) int64 {
	if len(w) < r.Count {
		return now
	}
	return w[len(w)-r.Count] + int64(r.Per)
}

// add records an event at now, keeping the entries in order and at most
// count of them.
func (w window) add(now int64, count int) window {
	i := len(w)
	for i > 0 && w[i-1] > now {
		i--
	}
	w = append(w, 0)
	copy(w[i+1:], w[i:])
	w[i] = now
	if len(w) > count {
		w = append(window(nil), w[len(w)-count:]...)
	}
	return w
}

// remove drops one entry at t (a refund), if there is one.
func (w window) remove(t int64) window {
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] == t {
			return append(w[:i:i], w[i+1:]...)
		}
	}
	return w
}

// limited is a refusal being built: the latest allowed time over the rules
// that refuse, and which rule that is.
type limited struct {
	rule     Rule
	until    int64
	failures bool
}

// consider adds rule's allowed time at to the refusal when it is after now.
func (l *limited) consider(rule Rule, at, now int64) {
	if at <= now {
		return
	}
	if rule == RuleFailures {
		l.failures = true
	}
	if l.rule == "" || at > l.until {
		l.rule, l.until = rule, at
	}
}

// err returns the *LimitError, or nil when no rule refused.
func (l *limited) err(now int64) error {
	if l.rule == "" {
		return nil
	}
	rule := l.rule
	if l.failures {
		rule = RuleFailures
	}
	return &LimitError{Rule: rule, RetryAfter: time.Duration(l.until - now)}
}
