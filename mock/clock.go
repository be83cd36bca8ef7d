package mock

import (
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
func (c *clock) now() time.Time {
	off := time.Duration(c.offset.Load())
	if c.manual {
		return c.start.Add(off)
	}
	return c.start.Add(time.Since(c.start) + off).Round(0).UTC()
}

func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
