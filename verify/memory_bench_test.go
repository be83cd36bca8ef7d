package verify_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/convbench"
)

// The MemoryStore benchmarks at scale (BENCHMARKS.md, "MemoryStore at
// scale"). They only use the public API, so that the same file measures an
// older MemoryStore too. With -short they run at 20,000 recipients, to
// check that they still work.

// scaleRecipients is how many recipients the scale benchmarks hold.
func scaleRecipients() int {
	if testing.Short() {
		return 20_000
	}
	return 1_000_000
}

// heap returns the live heap after a full collection.
func heap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// scaleClock is a Guard clock the benchmarks move by hand.
type scaleClock struct{ ns atomic.Int64 }

func newScaleClock() *scaleClock {
	c := &scaleClock{}
	c.ns.Store(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *scaleClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *scaleClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// scaleLimits are the default rules (recipient 5, IP 20, prefix 50 sends an
// hour, 10 failures a day, codes of 10 minutes) with the conversion guard
// counting every send to its country and its 8-digit prefix but never
// refusing (minimums too large to reach): the benchmarks verify no code.
var scaleLimits = verify.Limits{ConversionMinPrefixSends: 1 << 30, ConversionMinCountrySends: 1 << 30}

// scaleRecipient is the i-th recipient: a North American number whose
// 8-digit prefix ("1" and i in 7 digits) is its own, so that each recipient
// brings its own prefix entry (the worst case for memory).
func scaleRecipient(i int) string { return fmt.Sprintf("+1%07d555", i) }

// scaleIP is the i-th recipient's own IPv4 address.
func scaleIP(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }

// newScaleGuard returns a Guard on store with scaleLimits and clock.
func newScaleGuard(b *testing.B, store verify.Store, clock *scaleClock) *verify.Guard {
	g, err := verify.NewGuard(store, verify.WithSecret([]byte("memory bench: a secret of 32 bytes or more")),
		verify.WithClock(clock.now), verify.WithLimits(scaleLimits))
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// fillScale gives each of recipients first..first+n-1 one send (from its
// own IP, to its own prefix) and a live code, the clock moving 10 µs a
// recipient (10 s of the Guard's clock for 1M).
func fillScale(b *testing.B, g *verify.Guard, clock *scaleClock, first, n int) {
	ctx := context.Background()
	for i := first; i < first+n; i++ {
		r := scaleRecipient(i)
		if err := g.AllowSend(ctx, r, scaleIP(i)); err != nil {
			b.Fatalf("AllowSend %d: %v", i, err)
		}
		if _, err := g.Issue(ctx, r); err != nil {
			b.Fatalf("Issue %d: %v", i, err)
		}
		clock.advance(10 * time.Microsecond)
	}
}

// scaleCall makes the j-th call of a measured phase on recipient i: in turn
// AllowSend (from the recipient's IP), Issue, Check of a wrong code and
// AllowCheck. Refusals are answers; a store failure ends the benchmark.
func scaleCall(b *testing.B, g *verify.Guard, j, i int) {
	ctx := context.Background()
	r := scaleRecipient(i)
	var err error
	switch j % 4 {
	case 0:
		err = g.AllowSend(ctx, r, scaleIP(i))
	case 1:
		_, err = g.Issue(ctx, r)
	case 2:
		err = g.Check(ctx, r, "000000")
	case 3:
		err = g.AllowCheck(ctx, r)
	}
	if errors.Is(err, verify.ErrStore) {
		b.Fatal(err)
	}
}

// BenchmarkMemoryStoreStalls fills a MemoryStore with scaleRecipients()
// recipients (1M), each with one send from its own IP address to its own
// prefix and a live code (scaleLimits: every default rule on, the
// conversion guard counting), then times 20,000 calls one by one (in turn
// AllowSend, Issue, a wrong Check, AllowCheck, each on a random recipient;
// the Guard's clock moving 1 ms a call) three times in a row on the same
// store:
//
//   - still: right after the fill, nothing due to expire (the anchor: what a
//     call costs without expiry work);
//   - minute: the clock moved a minute on (every entry due to be looked at,
//     none expired);
//   - day: the clock moved 25 hours on (every entry expired).
//
// It reports each phase's mean, median, 99.9th percentile and slowest
// call.
func BenchmarkMemoryStoreStalls(b *testing.B) {
	n, calls := scaleRecipients(), 20_000
	if testing.Short() {
		calls = 2_000
	}
	phases := []struct {
		name string
		skip time.Duration
	}{{"still", 0}, {"minute", time.Minute}, {"day", 25 * time.Hour}}
	took := make([]time.Duration, calls)
	for range b.N {
		b.StopTimer()
		clock := newScaleClock()
		g := newScaleGuard(b, verify.NewMemoryStore(), clock)
		fillScale(b, g, clock, 0, n)
		rng := rand.New(rand.NewPCG(1, 2))
		b.StartTimer()
		for _, ph := range phases {
			clock.advance(ph.skip)
			runtime.GC() // the fill's or the last phase's garbage
			for j := range calls {
				i := rng.IntN(n)
				start := time.Now()
				scaleCall(b, g, j, i)
				took[j] = time.Since(start)
				clock.advance(time.Millisecond)
			}
			µs := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
			var sum time.Duration
			for _, d := range took {
				sum += d
			}
			b.ReportMetric(µs(sum)/float64(calls), ph.name+"-mean-µs")
			slices.Sort(took)
			b.ReportMetric(µs(took[calls/2]), ph.name+"-p50-µs")
			b.ReportMetric(µs(took[calls-calls/1000]), ph.name+"-p99.9-µs")
			b.ReportMetric(µs(took[calls-1]), ph.name+"-max-µs")
		}
	}
}

// anchorRecipient is what the heap anchors keep of a recipient: the facts
// a MemoryStore needs for its rules (its code's MAC, expiry and attempts,
// its last send and the one before, its send and failure logs), and
// nothing for their expiry.
type anchorRecipient struct {
	mac                         [32]byte
	expires, lastSend, prevSend int64
	attempts                    int32
	hasCode, sent               bool
	sends, failures             []int64
}

// anchorConv is a conversion guard's counts of one country or prefix, as
// a MemoryStore keeps them: verify.ConversionBuckets buckets.
type anchorConv [verify.ConversionBuckets]struct {
	idx             int64
	sends, verified int32
}

// inlineAnchor holds the facts in plain maps of values.
type inlineAnchor struct {
	recipients                  map[string]anchorRecipient
	ips, prefixes               map[string][]int64
	convCountries, convPrefixes map[string]anchorConv
}

// pointerAnchor holds them in plain maps of pointers (the send logs of IPs
// and prefixes as slices, as in inlineAnchor).
type pointerAnchor struct {
	recipients                  map[string]*anchorRecipient
	ips, prefixes               map[string][]int64
	convCountries, convPrefixes map[string]*anchorConv
}

// anchorKey is a key of the size of the Guard's pseudonyms (22 bytes: 128
// bits in base64), one allocation each as the Guard makes them.
func anchorKey(kind byte, i int) string {
	var k [16]byte
	k[0] = kind
	binary.BigEndian.PutUint64(k[8:], uint64(i))
	return base64.RawURLEncoding.EncodeToString(k[:])
}

// anchorFacts calls put with the facts fillScale leaves for recipient i at
// t: its key, its IP's and its prefix's, and what each holds.
func anchorFacts(i int, t int64, put func(r, ip, px string, rec anchorRecipient, conv anchorConv)) {
	// No send before, no wrong code yet: those facts are kept, and empty,
	// as in the store.
	rec := anchorRecipient{expires: t + int64(10*time.Minute), lastSend: t, prevSend: 0, attempts: 0,
		hasCode: true, sent: true, sends: []int64{t}, failures: nil}
	rec.mac[0] = byte(i)
	var conv anchorConv
	idx := t / int64(5*time.Minute) // an hour in 12 buckets
	conv[idx%verify.ConversionBuckets].idx = idx
	conv[idx%verify.ConversionBuckets].sends = 1
	put(anchorKey('r', i), anchorKey('i', i), anchorKey('p', i), rec, conv)
}

// BenchmarkMemoryStoreHeap fills a MemoryStore as BenchmarkMemoryStoreStalls
// does (1M recipients, each with one send from its own IP address to its
// own prefix and a live code, the conversion guard counting) and reports
// the heap it holds per recipient, beside two anchors holding the same
// facts with nothing for their expiry: plain maps of structs
// (inlineAnchor) and plain maps of pointers to them (pointerAnchor). Then
// it moves the clock 25 hours on, makes 20,000 calls (AllowCheck of
// unknown recipients, the clock moving 1 ms a call), and reports the heap
// left over the empty store's; and again after a second round of as many
// recipients.
func BenchmarkMemoryStoreHeap(b *testing.B) {
	n := scaleRecipients()
	var inlineB, pointerB, storeB, afterExpiry, afterSecond float64
	for range b.N {
		t0 := newScaleClock().ns.Load()

		base := heap()
		in := inlineAnchor{recipients: map[string]anchorRecipient{}, ips: map[string][]int64{},
			prefixes: map[string][]int64{}, convCountries: map[string]anchorConv{}, convPrefixes: map[string]anchorConv{}}
		for i := range n {
			anchorFacts(i, t0+int64(i)*int64(10*time.Microsecond), func(r, ip, px string, rec anchorRecipient, conv anchorConv) {
				in.recipients[r], in.ips[ip], in.prefixes[px] = rec, []int64{rec.lastSend}, []int64{rec.lastSend}
				in.convPrefixes[px], in.convCountries["US"] = conv, conv
			})
		}
		inlineB = float64(heap()-base) / float64(n)
		runtime.KeepAlive(in)
		in = inlineAnchor{}

		base = heap()
		pt := pointerAnchor{recipients: map[string]*anchorRecipient{}, ips: map[string][]int64{},
			prefixes: map[string][]int64{}, convCountries: map[string]*anchorConv{}, convPrefixes: map[string]*anchorConv{}}
		for i := range n {
			anchorFacts(i, t0+int64(i)*int64(10*time.Microsecond), func(r, ip, px string, rec anchorRecipient, conv anchorConv) {
				pt.recipients[r], pt.ips[ip], pt.prefixes[px] = &rec, []int64{rec.lastSend}, []int64{rec.lastSend}
				pt.convPrefixes[px], pt.convCountries["US"] = &conv, &conv
			})
		}
		pointerB = float64(heap()-base) / float64(n)
		runtime.KeepAlive(pt)
		pt = pointerAnchor{}

		clock := newScaleClock()
		store := verify.NewMemoryStore()
		g := newScaleGuard(b, store, clock)
		ctx := context.Background()
		base = heap()
		expire := func() {
			clock.advance(25 * time.Hour)
			for range 20_000 {
				_ = g.AllowCheck(ctx, "+19999999999")
				clock.advance(time.Millisecond)
			}
		}
		fillScale(b, g, clock, 0, n)
		storeB = float64(heap()-base) / float64(n)
		expire()
		afterExpiry = float64(heap() - base)
		fillScale(b, g, clock, n, n)
		expire()
		afterSecond = float64(heap() - base)
		runtime.KeepAlive(store)
	}
	b.ReportMetric(storeB, "store-B/recipient")
	b.ReportMetric(inlineB, "inline-anchor-B/recipient")
	b.ReportMetric(pointerB, "pointer-anchor-B/recipient")
	b.ReportMetric(storeB/inlineB, "store/inline-anchor")
	b.ReportMetric(storeB/pointerB, "store/pointer-anchor")
	b.ReportMetric(afterExpiry, "B-left-after-expiry")
	b.ReportMetric(afterSecond, "B-left-after-2nd-round")
}

// BenchmarkAllowSendConversion: Guard.AllowSend on a MemoryStore with the
// conversion guard on against off (see verify/internal/convbench).
func BenchmarkAllowSendConversion(b *testing.B) {
	convbench.Run(b, func(*testing.B) verify.Store { return verify.NewMemoryStore() })
}
