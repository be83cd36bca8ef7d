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
// anything else to "other" (and leave "" as "", for "not known"). They
// return an index into the known words, so that a combination of values
// is a small number to look up what was built for it (final.go).

// The words each attribute may hold, by index ("" first, "other" last).
var (
	providers = [...]string{"", string(otpkit.ProviderLOX24), string(otpkit.ProviderTryvox), string(otpkit.ProviderDotdigital), other}
	channels  = [...]string{"", string(otpkit.ChannelSMS), string(otpkit.ChannelVoice), string(otpkit.ChannelWhatsApp),
		string(otpkit.ChannelTelegram), string(otpkit.ChannelEmail), other}
	ops = [...]string{"", string(verify.OpSend), string(verify.OpCheck), other}
)

const (
	nProviders = len(providers)
	nChannels  = len(channels)
	nOps       = len(ops)
	// A region's index: 0 for "", 1 to 676 for "AA" to "ZZ", then "other".
	regionOther = 1 + 26*26
)

// indexOf is s's index in words, whose last is "other": its index for
// any s that is none of the others. One table says both what a value may
// be and where it is, so the two cannot drift apart.
func indexOf(words []string, s string) int {
	last := len(words) - 1
	for i, w := range words[:last] {
		if w == s {
			return i
		}
	}
	return last
}

// providerIndex is p's index in providers.
func providerIndex(p otpkit.Provider) int { return indexOf(providers[:], string(p)) }

// channelIndex is c's index in channels.
func channelIndex(c otpkit.Channel) int { return indexOf(channels[:], string(c)) }

// opIndex is op's index in ops.
func opIndex(op verify.Op) int { return indexOf(ops[:], string(op)) }

// regionIndex is r's index when it looks like an ISO 3166-1 alpha-2 code
// (two capital ASCII letters), else regionOther's.
func regionIndex(r string) int {
	switch {
	case r == "":
		return 0
	case len(r) == 2 && isUpper(r[0]) && isUpper(r[1]):
		return 1 + int(r[0]-'A')*26 + int(r[1]-'A')
	}
	return regionOther
}

// regionName is the region of index i (from regionIndex).
func regionName(i int) string {
	switch {
	case i == 0:
		return ""
	case i >= regionOther:
		return other
	}
	i--
	return string([]byte{byte('A' + i/26), byte('A' + i%26)})
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

// kvs appends the attributes whose value is set.
func kvs(dst []attribute.KeyValue, pairs ...attribute.KeyValue) []attribute.KeyValue {
	for _, kv := range pairs {
		if kv.Value.AsString() != "" {
			dst = append(dst, kv)
		}
	}
	return dst
}

// maxCached bounds the map a cache copies on each addition. Past it,
// additions go to a map under the cache's lock: slower to read, never
// lost (the counters' counts live in the values). With the sanitisers
// above the keys are bounded: a few hundred combinations in practice.
const maxCached = 1 << 12

// cache maps a key to what was built for it once, read without a lock:
// the map is replaced, never changed, when a key is added (keys are few and
// added rarely: each combination of provider, channel, region and outcome
// once).
type cache[K comparable, V any] struct {
	m    atomic.Pointer[map[K]V]
	mu   sync.Mutex // serialises additions; guards more
	more map[K]V    // the keys added past maxCached
}

// get returns the value for k, building it with build the first time.
// The lookup is apart from the addition so that a hit is a map read alone.
func (c *cache[K, V]) get(k K, build func(K) V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	return c.add(k, build)
}

// add builds the value for k and adds it, unless another goroutine did.
func (c *cache[K, V]) add(k K, build func(K) V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	if v, ok := c.more[k]; ok {
		return v
	}
	v := build(k)
	if old != nil && len(*old) >= maxCached {
		if c.more == nil {
			c.more = make(map[K]V)
		}
		c.more[k] = v
		return v
	}
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

// each calls f with every value.
func (c *cache[K, V]) each(f func(V)) {
	if m := c.m.Load(); m != nil {
		for _, v := range *m {
			f(v)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.more {
		f(v)
	}
}

func len0[K comparable, V any](m *map[K]V) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
