// Package storetest is the conformance suite of verify.Store: every store
// (verify.MemoryStore, redisstore on one server and on a Cluster, a store of
// your own) must pass it.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) verify.Store { return newEmptyStore(t) })
//	}
//
// The suite drives the store through verify.Guard with a clock it moves, so
// it checks what users see: expiry, attempts, single use, the failure
// budget, each send rule with an exact RetryAfter, and contention from two
// Guards at once. A store that also implements the webhook deduplication
// methods (Claim, Done, Release) has them checked too. The Service's part of
// a store (refs, ClaimRef, ReserveCheck and SettleCheck, RefundSend) is
// driven directly, with the pseudonyms a Guard would hand it.
package storetest

import (
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/verify"
)

// Run runs the suite. Each call of newStore must return an empty store (a
// fresh Redis prefix or database will do); two Guards in the suite may
// share one.
func Run(t *testing.T, newStore func(t *testing.T) verify.Store) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore)
		})
	}
}

// testCase is one part of the suite.
type testCase struct {
	name string
	run  func(t *testing.T, newStore func(t *testing.T) verify.Store)
}

// cases is the suite, filled by the files of this package.
var cases []testCase

// register adds a case to the suite.
func register(name string, run func(t *testing.T, newStore func(t *testing.T) verify.Store)) bool {
	cases = append(cases, testCase{name: name, run: run})
	return true
}

// secret is the HMAC key every Guard of the suite shares.
var secret = func() []byte { s := sha256.Sum256([]byte("otpkit storetest secret")); return s[:] }()

// clock is a Guard clock the suite moves by hand. It starts off a whole
// millisecond, so that RetryAfter's exactness is tested below a millisecond.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2031, 3, 4, 5, 6, 7, 891_234_567, time.UTC)}
}

// Now is the Guard's clock.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// guard returns a Guard on store with the suite's secret, the clock and l.
func guard(t *testing.T, store verify.Store, c *clock, l verify.Limits) *verify.Guard {
	t.Helper()
	g, err := verify.NewGuard(store, verify.WithSecret(secret), verify.WithClock(c.Now), verify.WithLimits(l))
	if err != nil {
		t.Fatalf("NewGuard: %v", err)
	}
	return g
}

// noSendRules turns every send rule off, for cases about one of them.
func noSendRules(l verify.Limits) verify.Limits {
	off := verify.Rate{Count: -1}
	if l.SendInterval == 0 {
		l.SendInterval = -1
	}
	if l.RecipientSends == (verify.Rate{}) {
		l.RecipientSends = off
	}
	if l.IPSends == (verify.Rate{}) {
		l.IPSends = off
	}
	if l.PrefixSends == (verify.Rate{}) {
		l.PrefixSends = off
	}
	return l
}
