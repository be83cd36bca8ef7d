package otelverify

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// The attribute keys. Dashboards are built on them: never rename one.
const (
	keyProvider  = attribute.Key("otpkit.provider")
	keyChannel   = attribute.Key("otpkit.channel")
	keyRegion    = attribute.Key("otpkit.region")
	keyOutcome   = attribute.Key("otpkit.outcome")
	keyRule      = attribute.Key("otpkit.rule")
	keyOperation = attribute.Key("otpkit.operation")
)

// other stands for a value that is none of those an attribute may hold.
const other = "other"

// An attribute's value is one of a few known words, so that whatever an
// Event carries no attribute can hold a number, a code, an address or a
// ref, and no label can take unbounded values. The sanitisers below map
// anything else to "other" (and leave "" as "", for "not known").

// provider is p, or "other" for a provider otpkit does not have.
func provider(p otpkit.Provider) string {
	switch p {
	case "", otpkit.ProviderLOX24, otpkit.ProviderTryvox, otpkit.ProviderDotdigital:
		return string(p)
	}
	return other
}

// channel is c, or "other" for a channel otpkit does not have.
func channel(c otpkit.Channel) string {
	switch c {
	case "", otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp, otpkit.ChannelTelegram, otpkit.ChannelEmail:
		return string(c)
	}
	return other
}

// region is r when it looks like an ISO 3166-1 alpha-2 code (two capital
// ASCII letters), else "other".
func region(r string) string {
	if r == "" || len(r) == 2 && isUpper(r[0]) && isUpper(r[1]) {
		return r
	}
	return other
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }

// rule is r when it looks like a Rule (1 to 40 lower-case ASCII letters and
// underscores, as every verify.Rule is), else "other".
func rule(r verify.Rule) string {
	if len(r) > 40 {
		return other
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; c != '_' && (c < 'a' || c > 'z') {
			return other
		}
	}
	return string(r)
}

// operation is op, or "other".
func operation(op verify.Op) string {
	switch op {
	case "", verify.OpSend, verify.OpCheck:
		return string(op)
	}
	return other
}

// kvs appends the attributes whose value is set.
func kvs(dst []attribute.KeyValue, pairs ...attribute.KeyValue) []attribute.KeyValue {
	for _, kv := range pairs {
		if kv.Value.AsString() != "" {
			dst = append(dst, kv)
		}
	}
	return dst
}

// maxCached bounds a cache: past it, values are built on each use (an
// allocation, never a wrong count). With the sanitisers above a cache holds
// at most a few thousand entries even with every region in use.
const maxCached = 1 << 12

// cache maps a key to what was built for it once, read without a lock:
// the map is replaced, never changed, when a key is added (keys are few and
// added rarely: each combination of provider, channel, region and outcome
// once).
type cache[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex // serialises additions
}

// get returns the value for k, building it with build the first time.
func (c *cache[K, V]) get(k K, build func(K) V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
		if len(*old) >= maxCached {
			return build(k)
		}
	}
	v := build(k)
	m := make(map[K]V, 1+len0(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[k] = v
	c.m.Store(&m)
	return v
}

func len0[K comparable, V any](m *map[K]V) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
