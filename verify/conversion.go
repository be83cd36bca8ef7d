package verify

import (
	"strconv"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// ConversionRules is the conversion guard as a Store sees it, in AllowSend
// (judge a country and a prefix, count the send), Check and SettleCheck
// (count a verified code) and RefundSend (take the send back). Window 0
// turns the guard off; a minimum of 0 turns that level off.
//
// A store counts, per country and per prefix, the sends and the verified
// codes in ConversionBuckets buckets of Window/ConversionBuckets each (by
// the Guard's clock): a bucket holds what happened within it, and the
// buckets of the last Window count. AllowSend refuses (RuleConversion) when
// a country holds at least MinCountrySends sends, or a prefix at least
// MinPrefixSends, and fewer than Floor of them were verified; its
// RetryAfter lasts until the oldest counted bucket leaves the window, when
// the counts can first change for the better. A refused send is not
// counted. With Monitor the send is allowed and counted, and AllowSend
// returns a *MonitoredRefusal instead.
type ConversionRules struct {
	Window          time.Duration
	MinCountrySends int
	MinPrefixSends  int
	Floor           float64
	Monitor         bool
}

// ConversionBuckets is how many buckets a conversion window is counted in.
const ConversionBuckets = 12

// on reports whether the guard counts at all.
func (c ConversionRules) on() bool {
	return c.Window > 0 && (c.MinCountrySends > 0 || c.MinPrefixSends > 0)
}

// bucket is the length of one bucket in nanoseconds (at least 1 ms).
func (c ConversionRules) bucket() int64 {
	return max(int64(c.Window)/ConversionBuckets/int64(time.Millisecond), 1) * int64(time.Millisecond)
}

// MonitoredRefusal is what a Store's AllowSend returns, with the send
// allowed and recorded, when a rule in Monitor mode would have refused it
// (ConversionRules.Monitor). The Guard reports it (EventWouldRefuse) and
// allows the send.
type MonitoredRefusal struct {
	// Rule is the rule that would have refused: RuleConversion.
	Rule Rule
}

// Error says which rule would have refused.
func (e *MonitoredRefusal) Error() string {
	return "verify: rule " + string(e.Rule) + " would refuse this send (Limits.Monitor: allowed)"
}

// conversionRules are the Guard's conversion rules for a store.
func (l Limits) conversionRules() ConversionRules {
	if l.ConversionWindow <= 0 {
		return ConversionRules{}
	}
	return ConversionRules{Window: l.ConversionWindow, MinCountrySends: max(l.ConversionMinCountrySends, 0),
		MinPrefixSends: max(l.ConversionMinPrefixSends, 0), Floor: l.ConversionFloor, Monitor: l.Monitor}
}

// countryOf is the country a canonical E.164 number counts under in the
// conversion guard: the main region of its country calling code ("DE" for
// +49; "US" for every +1 number, the North American plan being one
// country code; "001" for +800 and the other non-geographic codes), or
// "+" and the code for a code libphonenumber does not know. It is a lookup
// by the leading digits, not a parse, so the Guard can afford it on every
// send.
func countryOf(e164 string) string {
	for n := 1; n <= 3 && n < len(e164); n++ {
		cc, err := strconv.Atoi(e164[1 : 1+n])
		if err != nil {
			return ""
		}
		if r := phonenumbers.GetRegionCodeForCountryCode(cc); r != phonenumbers.UNKNOWN_REGION {
			return r
		}
	}
	return ""
}

// convCounter is a MemoryStore's conversion counts of one country or
// prefix: a ring of buckets.
type convCounter struct {
	buckets [ConversionBuckets]convBucket
	keep    int64 // Unix ns after which nothing of it counts
}

type convBucket struct {
	idx      int64 // the bucket's number: its start / bucket length
	sends    int32
	verified int32
}

// slot returns the bucket of t's time, emptied when it held an older one.
func (c *convCounter) slot(t int64, r ConversionRules) *convBucket {
	idx := t / r.bucket()
	b := &c.buckets[idx%ConversionBuckets]
	if b.idx != idx {
		*b = convBucket{idx: idx}
	}
	c.keep = max(c.keep, (idx+ConversionBuckets)*r.bucket())
	return b
}

// judge returns when the counter allows sends again: t when it has fewer
// than minSends sends in the window or enough of them verified; else when
// its oldest counted bucket leaves the window.
func (c *convCounter) judge(t int64, r ConversionRules, minSends int) int64 {
	if c == nil || minSends <= 0 {
		return t
	}
	cur := t / r.bucket()
	var sends, verified int64
	oldest := cur + 1
	for _, b := range c.buckets {
		if b.idx > cur-ConversionBuckets && b.idx <= cur && b.sends > 0 {
			sends += int64(b.sends)
			verified += int64(b.verified)
			oldest = min(oldest, b.idx)
		}
	}
	if sends < int64(minSends) || float64(verified) >= r.Floor*float64(sends) {
		return t
	}
	return (oldest + ConversionBuckets) * r.bucket()
}
