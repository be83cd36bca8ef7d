package verify

import (
	"context"
	"crypto/hmac"
	"sync"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/memdedup"
)

// MemoryStore is a Store for one process (the default of a Guard without
// Redis). It keeps only MACs of codes and drops expired state as the
// Guard's clock moves, a little on each call (never all of it at once: no
// call waits for a sweep of the whole store), so memory stays flat. It also
// implements the webhook deduplication of otpkit (Claim, Done, Release), by
// the real clock.
//
// Guards sharing a MemoryStore should share a clock: the store prunes by the
// times it is given. The zero value is not usable; call NewMemoryStore.
type MemoryStore struct {
	mu         sync.Mutex
	recipients *table[memRecipient]
	ips        *table[memCounter]
	prefixes   *table[memCounter]
	// The conversion guard's counts per country and per prefix.
	convCountries *table[convCounter]
	convPrefixes  *table[convCounter]
	refs          expiring[RefRecord] // the Service's refs
	sweeper       sweeper             // drops what the tables above no longer need
	hooks         *memdedup.Deduper   // webhook events, under their own lock
}

// memRecipient is a recipient's state.
type memRecipient struct {
	mac      [32]byte
	hasCode  bool
	attempts int32
	expires  int64 // the code's expiry, Unix ns
	lastSend int64 // Unix ns; only meaningful when sent
	prevSend int64 // the last send before lastSend (for RefundSend); 0: none
	sent     bool
	sends    window
	failures window
	keep     int64 // Unix ns after which nothing of it counts
}

// memCounter is the send window of an IP address or a prefix.
type memCounter struct {
	sends window
	keep  int64
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	counterKeep := func(c *memCounter) int64 { return c.keep }
	convKeep := func(c *convCounter) int64 { return c.keep }
	m := &MemoryStore{
		recipients:    newTable(func(r *memRecipient) int64 { return r.keep }),
		ips:           newTable(counterKeep),
		prefixes:      newTable(counterKeep),
		convCountries: newTable(convKeep),
		convPrefixes:  newTable(convKeep),
		refs:          newExpiring[RefRecord](),
		hooks:         memdedup.New(time.Now),
	}
	m.sweeper.tables = []sweepable{m.recipients, m.ips, m.prefixes, m.convCountries, m.convPrefixes, m.refs.table}
	return m
}

// Shared reports false: a MemoryStore lives in one process, so a Guard may
// use a random secret with it.
func (m *MemoryStore) Shared() bool { return false }

// String describes the store without its contents.
func (m *MemoryStore) String() string { return "verify.MemoryStore" }

// AllowSend implements Store.
func (m *MemoryStore) AllowSend(ctx context.Context, now time.Time, s SendRules) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	r := m.recipients.get(s.Recipient)
	var lim limited
	var sends, failures, ipSends, pxSends window
	if r != nil {
		failures = r.failures.prune(t, s.Failures.Per)
		sends = r.sends.prune(t, s.RecipientSends.Per)
		if s.Failures.Count > 0 {
			lim.consider(RuleFailures, failures.allowedAt(t, s.Failures), t)
		}
		if s.Interval > 0 && r.sent {
			lim.consider(RuleSendInterval, r.lastSend+int64(s.Interval), t)
		}
		if s.RecipientSends.Count > 0 {
			lim.consider(RuleRecipientSends, sends.allowedAt(t, s.RecipientSends), t)
		}
	}
	ipc, pxc := m.ips.get(s.IP), m.prefixes.get(s.Prefix)
	if s.IP != "" && s.IPSends.Count > 0 && ipc != nil {
		ipSends = ipc.sends.prune(t, s.IPSends.Per)
		lim.consider(RuleIPSends, ipSends.allowedAt(t, s.IPSends), t)
	}
	if s.Prefix != "" && s.PrefixSends.Count > 0 && pxc != nil {
		pxSends = pxc.sends.prune(t, s.PrefixSends.Per)
		lim.consider(RulePrefixSends, pxSends.allowedAt(t, s.PrefixSends), t)
	}
	conv, monitored := s.Conversion, false
	var country, prefix *convCounter // looked up once: judged now, counted below
	if conv.on() {
		if s.Country != "" && conv.MinCountrySends > 0 {
			country = m.convCountries.get(s.Country)
		}
		if s.Prefix != "" && conv.MinPrefixSends > 0 {
			prefix = m.convPrefixes.get(s.Prefix)
		}
		at := max(country.judge(t, conv, conv.MinCountrySends), prefix.judge(t, conv, conv.MinPrefixSends))
		switch {
		case at <= t:
		case conv.Monitor:
			monitored = true
		default:
			lim.consider(RuleConversion, at, t)
		}
	}
	if err := lim.err(t); err != nil {
		return err
	}
	if conv.on() {
		if s.Country != "" && conv.MinCountrySends > 0 {
			if country == nil {
				country = m.convCountries.getOrMake(s.Country)
			}
			country.slot(t, conv).sends++
		}
		if s.Prefix != "" && conv.MinPrefixSends > 0 {
			if prefix == nil {
				prefix = m.convPrefixes.getOrMake(s.Prefix)
			}
			prefix.slot(t, conv).sends++
		}
	}
	if r == nil {
		r = m.recipients.getOrMake(s.Recipient)
	}
	r.failures = failures
	if r.sent {
		r.prevSend = r.lastSend
	}
	r.sent, r.lastSend = true, t
	r.extend(t + int64(s.Interval))
	if s.RecipientSends.Count > 0 {
		r.sends = sends.add(t, s.RecipientSends.Count)
		r.extend(t + int64(s.RecipientSends.Per))
	}
	if s.IP != "" && s.IPSends.Count > 0 {
		if ipc == nil {
			ipc = m.ips.getOrMake(s.IP)
		}
		ipc.sends, ipc.keep = ipSends.add(t, s.IPSends.Count), max(ipc.keep, t+int64(s.IPSends.Per))
	}
	if s.Prefix != "" && s.PrefixSends.Count > 0 {
		if pxc == nil {
			pxc = m.prefixes.getOrMake(s.Prefix)
		}
		pxc.sends, pxc.keep = pxSends.add(t, s.PrefixSends.Count), max(pxc.keep, t+int64(s.PrefixSends.Per))
	}
	if monitored {
		return &MonitoredRefusal{Rule: RuleConversion}
	}
	return nil
}

// RefundSend implements Store.
func (m *MemoryStore) RefundSend(ctx context.Context, at time.Time, s SendRules) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := at.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.recipients.get(s.Recipient); r != nil {
		r.sends = r.sends.remove(t)
		if r.sent && r.lastSend == t {
			r.lastSend, r.sent, r.prevSend = r.prevSend, r.prevSend != 0, 0
		}
	}
	if c := m.ips.get(s.IP); c != nil && s.IP != "" {
		c.sends = c.sends.remove(t)
	}
	if c := m.prefixes.get(s.Prefix); c != nil && s.Prefix != "" {
		c.sends = c.sends.remove(t)
	}
	if s.Conversion.on() {
		for _, c := range [...]*convCounter{m.convCountries.get(s.Country), m.convPrefixes.get(s.Prefix)} {
			if c == nil {
				continue
			}
			if b := &c.buckets[t/s.Conversion.bucket()%ConversionBuckets]; b.idx == t/s.Conversion.bucket() && b.sends > 0 {
				b.sends--
			}
		}
	}
	return nil
}

// converted counts a verified code at t for country and prefix.
func (m *MemoryStore) converted(t int64, country, prefix string, conv ConversionRules) {
	if !conv.on() {
		return
	}
	if country != "" && conv.MinCountrySends > 0 {
		m.convCountries.getOrMake(country).slot(t, conv).verified++
	}
	if prefix != "" && conv.MinPrefixSends > 0 {
		m.convPrefixes.getOrMake(prefix).slot(t, conv).verified++
	}
}

// Issue implements Store.
func (m *MemoryStore) Issue(ctx context.Context, now time.Time, recipient string, mac []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	r := m.recipients.getOrMake(recipient)
	copy(r.mac[:], mac)
	r.hasCode, r.attempts, r.expires = true, 0, t+int64(ttl)
	r.extend(r.expires)
	return nil
}

// Check implements Store.
func (m *MemoryStore) Check(ctx context.Context, now time.Time, recipient string, mac []byte, c CheckRules) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	r := m.recipients.get(recipient)
	if r == nil {
		return otpkit.ErrNotFound
	}
	if err := r.budget(t, c.Failures); err != nil {
		return err
	}
	if !r.hasCode || t >= r.expires {
		r.hasCode = false
		return otpkit.ErrNotFound
	}
	if int(r.attempts) >= c.MaxAttempts {
		return otpkit.ErrMaxAttempts
	}
	if hmac.Equal(r.mac[:], mac) {
		r.hasCode, r.mac = false, [32]byte{}
		m.converted(t, c.Country, c.Prefix, c.Conversion)
		return nil
	}
	r.attempts++
	r.fail(t, c.Failures)
	if left := c.MaxAttempts - int(r.attempts); left > 0 {
		return &InvalidCodeError{AttemptsLeft: left}
	}
	return otpkit.ErrMaxAttempts
}

// AllowCheck implements Store.
func (m *MemoryStore) AllowCheck(ctx context.Context, now time.Time, recipient string, failures Rate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	if r := m.recipients.get(recipient); r != nil {
		return r.budget(t, failures)
	}
	return nil
}

// RecordFailure implements Store.
func (m *MemoryStore) RecordFailure(ctx context.Context, now time.Time, recipient string, failures Rate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if failures.Count <= 0 {
		return nil
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweeper.run(t)
	r := m.recipients.getOrMake(recipient)
	if err := r.budget(t, failures); err != nil {
		return err
	}
	r.fail(t, failures)
	return nil
}

// Unlock implements Store.
func (m *MemoryStore) Unlock(ctx context.Context, recipient string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.recipients.get(recipient); r != nil {
		r.failures = nil
	}
	return nil
}

// budget prunes the recipient's failures and refuses when the budget is spent.
func (r *memRecipient) budget(t int64, failures Rate) error {
	if failures.Count <= 0 {
		return nil
	}
	r.failures = r.failures.prune(t, failures.Per)
	var lim limited
	lim.consider(RuleFailures, r.failures.allowedAt(t, failures), t)
	return lim.err(t)
}

// fail records a failure at t (budget already checked and pruned).
func (r *memRecipient) fail(t int64, failures Rate) {
	if failures.Count <= 0 {
		return
	}
	r.failures = r.failures.add(t, failures.Count)
	r.extend(t + int64(failures.Per))
}

// extend keeps the recipient at least until t.
func (r *memRecipient) extend(t int64) {
	if t > r.keep {
		r.keep = t
	}
}
