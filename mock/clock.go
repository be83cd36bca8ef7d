package mock

import (
	"math"
	"sync/atomic"
	"time"
)

// clock is the mock's time source: either manual (a start that moves only
// with Advance) or real time plus the sum of all Advance calls. It is read
// without a lock; the Handler serialises the reads that change state.
type clock struct {
	manual bool
	start  time.Time // manual: the start; real: when the clock was made (with its monotonic reading)
	offset atomic.Int64
}

func newClock(cfg *config) *clock {
	if cfg.manualClock {
		return &clock{manual: true, start: cfg.clockStart}
	}
	return &clock{start: time.Now()}
}

// now returns the mock's current time in UTC without a monotonic reading,
// so it compares and formats the same whichever mode made it. Real mode
// measures elapsed time monotonically, so a wall-clock step on the host
// does not make the mock's time run backwards.
//
// The clock saturates at maxClockTime (never before its start): advancing
// it by any amount, however huge, never makes it run backwards.
func (c *clock) now() time.Time {
	off := time.Duration(c.offset.Load())
	var t time.Time
	if c.manual {
		t = c.start.Add(off)
	} else {
		t = c.start.Add(addSaturating(time.Since(c.start), off)).Round(0).UTC()
	}
	if t.After(maxClockTime) && !c.start.After(maxClockTime) {
		return maxClockTime
	}
	return t
}

// maxClockTime is as far as the mock's clock goes: the last second times
// still format with a four-digit year.
var maxClockTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// advance adds d (>= 0) to the offset, saturating instead of overflowing.
func (c *clock) advance(d time.Duration) {
	for {
		old := c.offset.Load()
		if c.offset.CompareAndSwap(old, int64(addSaturating(time.Duration(old), d))) {
			return
		}
	}
}

// addSaturating is a+b for b >= 0, at most the largest Duration.
func addSaturating(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
