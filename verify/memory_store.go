package verify

import (
	"context"
	"crypto/hmac"
	"sync"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/memdedup"
)

// sweepEvery is how often (by the Guard's clock) a MemoryStore drops the
// state no rule needs any more.
const sweepEvery = time.Minute

// MemoryStore is a Store for one process (the default of a Guard without
// Redis). It keeps only MACs of codes and prunes expired state once a
// minute of the Guard's clock, so memory stays flat. It also implements the
// webhook deduplication of otpkit (Claim, Done, Release), by the real clock.
//
// Guards sharing a MemoryStore should share a clock: the store prunes by the
// times it is given. The zero value is not usable; call NewMemoryStore.
type MemoryStore struct {
	mu         sync.Mutex
	recipients map[string]*memRecipient
	ips        map[string]*memCounter
	prefixes   map[string]*memCounter
	// The conversion guard's counts per country and per prefix.
	convCountries map[string]*convCounter
	convPrefixes  map[string]*convCounter
	peak          int                 // largest size of the maps since they were last rebuilt
	nextSweep     int64               // Unix ns of the Guard's clock
	hooks         *memdedup.Deduper   // webhook events, under their own lock
	refs          expiring[RefRecord] // the Service's refs
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
	return &MemoryStore{
		recipients:    map[string]*memRecipient{},
		ips:           map[string]*memCounter{},
		prefixes:      map[string]*memCounter{},
		convCountries: map[string]*convCounter{},
		convPrefixes:  map[string]*convCounter{},
		hooks:         memdedup.New(time.Now),
	}
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
	m.sweep(t)
	r := m.recipients[s.Recipient]
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
	ipc, pxc := m.ips[s.IP], m.prefixes[s.Prefix]
	if s.IP != "" && s.IPSends.Count > 0 && ipc != nil {
		ipSends = ipc.sends.prune(t, s.IPSends.Per)
		lim.consider(RuleIPSends, ipSends.allowedAt(t, s.IPSends), t)
	}
	if s.Prefix != "" && s.PrefixSends.Count > 0 && pxc != nil {
		pxSends = pxc.sends.prune(t, s.PrefixSends.Per)
		lim.consider(RulePrefixSends, pxSends.allowedAt(t, s.PrefixSends), t)
	}
	conv, monitored := s.Conversion, false
	if conv.on() {
		at := max(m.convCountries[s.Country].judge(t, conv, conv.MinCountrySends*isSet(s.Country)),
			m.convPrefixes[s.Prefix].judge(t, conv, conv.MinPrefixSends*isSet(s.Prefix)))
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
			convFor(m.convCountries, s.Country).slot(t, conv).sends++
		}
		if s.Prefix != "" && conv.MinPrefixSends > 0 {
			convFor(m.convPrefixes, s.Prefix).slot(t, conv).sends++
		}
	}
	if r == nil {
		r = &memRecipient{}
		m.recipients[s.Recipient] = r
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
		m.ips[s.IP] = &memCounter{sends: ipSends.add(t, s.IPSends.Count), keep: t + int64(s.IPSends.Per)}
	}
	if s.Prefix != "" && s.PrefixSends.Count > 0 {
		m.prefixes[s.Prefix] = &memCounter{sends: pxSends.add(t, s.PrefixSends.Count), keep: t + int64(s.PrefixSends.Per)}
	}
	m.grew()
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
	if r := m.recipients[s.Recipient]; r != nil {
		r.sends = r.sends.remove(t)
		if r.sent && r.lastSend == t {
			r.lastSend, r.sent, r.prevSend = r.prevSend, r.prevSend != 0, 0
		}
	}
	if c := m.ips[s.IP]; c != nil && s.IP != "" {
		c.sends = c.sends.remove(t)
	}
	if c := m.prefixes[s.Prefix]; c != nil && s.Prefix != "" {
		c.sends = c.sends.remove(t)
	}
	if s.Conversion.on() {
		for _, c := range []*convCounter{m.convCountries[s.Country], m.convPrefixes[s.Prefix]} {
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
		convFor(m.convCountries, country).slot(t, conv).verified++
	}
	if prefix != "" && conv.MinPrefixSends > 0 {
		convFor(m.convPrefixes, prefix).slot(t, conv).verified++
	}
}

// convFor returns k's counter in counters, made when it has none.
func convFor(counters map[string]*convCounter, k string) *convCounter {
	c := counters[k]
	if c == nil {
		c = &convCounter{}
		counters[k] = c
	}
	return c
}

// isSet is 1 for a key that is set, 0 for "" (its level is then off).
func isSet(k string) int {
	if k == "" {
		return 0
	}
	return 1
}

// Issue implements Store.
func (m *MemoryStore) Issue(ctx context.Context, now time.Time, recipient string, mac []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(t)
	r := m.recipientFor(recipient)
	copy(r.mac[:], mac)
	r.hasCode, r.attempts, r.expires = true, 0, t+int64(ttl)
	r.extend(r.expires)
	m.grew()
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
	m.sweep(t)
	r := m.recipients[recipient]
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
	m.sweep(t)
	if r := m.recipients[recipient]; r != nil {
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
	m.sweep(t)
	r := m.recipientFor(recipient)
	if err := r.budget(t, failures); err != nil {
		return err
	}
	r.fail(t, failures)
	m.grew()
	return nil
}

// Unlock implements Store.
func (m *MemoryStore) Unlock(ctx context.Context, recipient string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.recipients[recipient]; r != nil {
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

// grew notes the maps' size for sweep's rebuild.
func (m *MemoryStore) grew() {
	if n := len(m.recipients) + len(m.ips) + len(m.prefixes); n > m.peak {
		m.peak = n
	}
}

// sweep drops, once a minute of the Guard's clock, every entry no rule
// needs at t. Go maps keep their buckets after deletes, so when the maps
// have shrunk to a quarter of their peak they are copied into new ones: the
// memory follows the live state, not the largest it ever was.
func (m *MemoryStore) sweep(t int64) {
	if t < m.nextSweep {
		return
	}
	m.nextSweep = t + int64(sweepEvery)
	for k, r := range m.recipients {
		if r.keep <= t {
			delete(m.recipients, k)
		}
	}
	for k, c := range m.ips {
		if c.keep <= t {
			delete(m.ips, k)
		}
	}
	for k, c := range m.prefixes {
		if c.keep <= t {
			delete(m.prefixes, k)
		}
	}
	for _, counters := range []map[string]*convCounter{m.convCountries, m.convPrefixes} {
		for k, c := range counters {
			if c.keep <= t {
				delete(counters, k)
			}
		}
	}
	if n := len(m.recipients) + len(m.ips) + len(m.prefixes); n < m.peak/4 {
		m.recipients = copyMap(m.recipients)
		m.ips = copyMap(m.ips)
		m.prefixes = copyMap(m.prefixes)
		m.peak = n
	}
}

// copyMap returns a new map with src's entries.
func copyMap[V any](src map[string]V) map[string]V {
	dst := make(map[string]V, len(src))
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// recipientFor returns recipient's state, made empty when it has none yet.
// m.mu must be held.
func (m *MemoryStore) recipientFor(recipient string) *memRecipient {
	r := m.recipients[recipient]
	if r == nil {
		r = &memRecipient{}
		m.recipients[recipient] = r
	}
	return r
}
