package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// The load of the failover tests: a few goroutines, each a user after
// another, on two Guards (two app instances, each with its own client).
// Each round is one user's turn: a send (AllowSend), a code (Issue), a
// wrong code, the right code, and the right code again, the calls spread
// over both Guards. A user has loadRounds rounds and loadSends sends: the
// rest of its sends are refused.
const (
	loadWorkers  = 4
	loadRounds   = 5
	loadSends    = 3
	loadDeadline = 500 * time.Millisecond // each call's context
	loadPause    = 5 * time.Millisecond   // between rounds: a busy app, not a flood
)

// loadLimits: loadSends per recipient; the IP and prefix rules counted but
// never reached; no failure budget (each round has a wrong code).
var loadLimits = verify.Limits{
	MaxAttempts: 5, MaxFailures: -1, SendInterval: -1,
	RecipientSends: verify.Rate{Count: loadSends, Per: time.Hour},
	IPSends:        verify.Rate{Count: 1 << 20, Per: time.Hour},
	PrefixSends:    verify.Rate{Count: 1 << 20, Per: time.Hour},
}

// load runs the rounds and keeps what every call answered.
type load struct {
	guards [2]*verify.Guard
	stop   chan struct{}
	wg     sync.WaitGroup

	mu         sync.Mutex
	calls      int
	failed     int       // calls that failed (verify.ErrStore)
	firstErr   time.Time // of a failed call
	lastErr    time.Time
	wrong      []string       // wrong decisions: must stay empty
	other      []string       // errors that are neither a decision nor ErrStore
	allowed    map[string]int // allowed sends per recipient
	verified   map[string]int // verified checks per recipient and code
	cleanSince []time.Time    // per worker: since when its calls all succeeded (zero: the last failed)
}

func startLoad(guards [2]*verify.Guard) *load {
	l := &load{guards: guards, stop: make(chan struct{}), allowed: map[string]int{}, verified: map[string]int{},
		cleanSince: make([]time.Time, loadWorkers)}
	for w := range loadWorkers {
		l.wg.Go(func() { l.work(w) })
	}
	return l
}

// end stops the load and waits for its goroutines.
func (l *load) end() {
	close(l.stop)
	l.wg.Wait()
}

// call runs one call with its deadline and files its answer: a store
// failure, or a decision that judge finds right (a message of what is
// wrong with it otherwise). It reports whether the call was decided.
func (l *load) call(w int, what string, f func(ctx context.Context) error, judge func(err error) string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), loadDeadline)
	err := f(ctx)
	cancel()
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if errors.Is(err, verify.ErrStore) {
		l.failed++
		if l.firstErr.IsZero() {
			l.firstErr = now
		}
		l.lastErr = now
		l.cleanSince[w] = time.Time{}
		return false
	}
	if l.cleanSince[w].IsZero() {
		l.cleanSince[w] = now
	}
	if msg := judge(err); msg != "" {
		if err != nil && !isDecision(err) {
			l.other = append(l.other, fmt.Sprintf("%s: %v", what, err))
		} else {
			l.wrong = append(l.wrong, fmt.Sprintf("%s: %s (%v)", what, msg, err))
		}
	}
	return true
}

// isDecision reports whether err is one of the Guard's decisions.
func isDecision(err error) bool {
	return errors.Is(err, otpkit.ErrRateLimited) || errors.Is(err, otpkit.ErrInvalidCode) ||
		errors.Is(err, otpkit.ErrMaxAttempts) || errors.Is(err, otpkit.ErrNotFound)
}

func (l *load) work(w int) {
	ip := fmt.Sprintf("198.51.100.%d", w+1)
	for round := 0; ; round++ {
		select {
		case <-l.stop:
			return
		case <-time.After(loadPause):
		}
		r := fmt.Sprintf("+4917%d%07d", w+1, round/loadRounds)
		a, b := l.guards[round%2], l.guards[(round+1)%2]
		l.call(w, "AllowSend", func(ctx context.Context) error { return a.AllowSend(ctx, r, ip) }, func(err error) string {
			var le *verify.LimitError
			switch {
			case err == nil:
				l.allowed[r]++
				if l.allowed[r] > loadSends {
					return fmt.Sprintf("send %d allowed, of %d", l.allowed[r], loadSends)
				}
			case !errors.As(err, &le):
				return "not a send decision"
			}
			return ""
		})
		var code string
		if !l.call(w, "Issue", func(ctx context.Context) (err error) { code, err = b.Issue(ctx, r); return err },
			func(err error) string {
				if err != nil {
					return "no code"
				}
				return ""
			}) {
			continue // whether a code is live is not known: the rest would prove nothing
		}
		var ice *verify.InvalidCodeError
		l.call(w, "Check (wrong)", func(ctx context.Context) error { return a.Check(ctx, r, wrongCode(code)) },
			func(err error) string {
				if err == nil {
					return "a wrong code verified"
				}
				if !errors.As(err, &ice) {
					return "not an invalid code"
				}
				return ""
			})
		key := r + "/" + code
		for i, g := range []*verify.Guard{b, a} {
			l.call(w, "Check (right)", func(ctx context.Context) error { return g.Check(ctx, r, code) },
				func(err error) string {
					switch {
					case err == nil:
						l.verified[key]++
						if l.verified[key] > 1 {
							return "a code verified twice"
						}
					case i == 0 && l.verified[key] == 0:
						return "the right code refused"
					case !errors.Is(err, otpkit.ErrNotFound):
						return "a used code answered otherwise than not found"
					}
					return ""
				})
		}
	}
}

// recovered reports whether every worker's calls have all succeeded since
// before t.
func (l *load) recovered(t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, since := range l.cleanSince {
		if since.IsZero() || !since.Before(t) {
			return false
		}
	}
	return true
}

// failover runs the load on guards, calls kill (which kills the master
// that holds keys and returns once a replica took over, with the time it
// saw the replica promoted), and checks the invariants: no wrong decision,
// every call during the failover an error, and every worker's calls
// succeeding again within 10s of the promotion.
func failover(t *testing.T, guards [2]*verify.Guard, kill func(ctx context.Context) time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	l := startLoad(guards)
	defer func() {
		select {
		case <-l.stop:
		default:
			l.end()
		}
	}()
	time.Sleep(time.Second) // the load settles in
	// Count failures from the kill on (a busy machine may fail a call
	// before it; that is no failover's).
	l.mu.Lock()
	if l.failed > 0 {
		t.Logf("%d calls failed before the kill", l.failed)
	}
	l.failed, l.firstErr, l.lastErr = 0, time.Time{}, time.Time{}
	l.mu.Unlock()
	killed := time.Now()
	promoted := kill(ctx)
	// Recovered: every worker has had a whole second of successful calls
	// after the promotion; give up 10s after it.
	deadline := promoted.Add(10 * time.Second)
	for time.Now().Before(deadline) && !l.recovered(time.Now().Add(-time.Second)) {
		time.Sleep(50 * time.Millisecond)
	}
	l.end()

	l.mu.Lock()
	defer l.mu.Unlock()
	allowedMax := 0
	for _, n := range l.allowed {
		allowedMax = max(allowedMax, n)
	}
	t.Logf("killed at +0s, promoted at +%.2fs; failed calls from +%.2fs to +%.2fs (error window %.2fs, ended %.2fs after the promotion): %d of %d calls failed",
		promoted.Sub(killed).Seconds(), l.firstErr.Sub(killed).Seconds(), l.lastErr.Sub(killed).Seconds(),
		l.lastErr.Sub(l.firstErr).Seconds(), l.lastErr.Sub(promoted).Seconds(), l.failed, l.calls)
	t.Logf("%d recipients, at most %d sends allowed each (limit %d); %d codes verified", len(l.allowed), allowedMax,
		loadSends, len(l.verified))
	assert.Empty(t, l.wrong, "wrong decisions")
	assert.Empty(t, l.other, "answers that are neither a decision nor verify.ErrStore")
	assert.Positive(t, l.failed, "the kill made calls fail")
	assert.Less(t, l.lastErr.Sub(promoted), 10*time.Second, "calls still failed 10s after the promotion")
	for w, since := range l.cleanSince {
		assert.False(t, since.IsZero(), "worker %d's last call failed", w)
	}
}

// promotion polls servers (replicas of a master about to die) and returns
// when the first of them runs as a master: the time it saw that.
func promotion(ctx context.Context, t *testing.T, servers []*redistest.Server) time.Time {
	t.Helper()
	clients := make([]*redis.Client, len(servers))
	for i, s := range servers {
		clients[i] = redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond,
			ReadTimeout: 100 * time.Millisecond})
		defer clients[i].Close()
	}
	for {
		for _, c := range clients {
			info, err := c.Info(ctx, "replication").Result()
			if err == nil && strings.Contains(info, "role:master") {
				return time.Now()
			}
		}
		select {
		case <-ctx.Done():
			require.NoError(t, ctx.Err(), "no replica was promoted")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
