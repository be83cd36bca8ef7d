package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// The state a crash must not lose, made by decisions: a full send window
// (recipient and IP), a locked code, a spent failure budget, a used code
// and a live one with an attempt used.
const (
	crashIP     = "192.0.2.40"
	crashFull   = "+4917012340001" // 2 sends of 2
	crashOther  = "+4917012340002" // 1 send: the IP's 3rd of 3
	crashLocked = "+4917012340003" // 3 wrong codes of 3
	crashSpent  = "+4917012340004" // 4 failures of 4
	crashUsed   = "+4917012340005" // verified
	crashLive   = "+4917012340006" // one wrong code of 3
)

var crashLimits = verify.Limits{MaxAttempts: 3, MaxFailures: 4, SendInterval: -1, ConversionWindow: -1,
	RecipientSends: verify.Rate{Count: 2, Per: time.Hour}, IPSends: verify.Rate{Count: 3, Per: time.Hour}}

// makeCrashState makes the state through g and returns the codes of the
// locked, used and live recipients. It issues the codes first, then calls
// issued (if not nil), then makes the rest.
func makeCrashState(t *testing.T, g *verify.Guard, issued func()) map[string]string {
	t.Helper()
	ctx := context.Background()
	codes := map[string]string{}
	for _, r := range []string{crashLocked, crashUsed, crashLive} {
		code, err := g.Issue(ctx, r)
		require.NoError(t, err)
		codes[r] = code
	}
	if issued != nil {
		issued()
	}
	require.NoError(t, g.AllowSend(ctx, crashFull, crashIP))
	require.NoError(t, g.AllowSend(ctx, crashFull, crashIP))
	require.NoError(t, g.AllowSend(ctx, crashOther, crashIP))
	for range 3 {
		require.Error(t, g.Check(ctx, crashLocked, wrongCode(codes[crashLocked])))
	}
	for range 4 {
		require.NoError(t, g.RecordFailure(ctx, crashSpent))
	}
	require.NoError(t, g.Check(ctx, crashUsed, codes[crashUsed]))
	require.ErrorIs(t, g.Check(ctx, crashLive, wrongCode(codes[crashLive])), otpkit.ErrInvalidCode)
	return codes
}

// crashStateKept lists what of the state g no longer shows (nothing when
// every window, lock and budget was kept).
func crashStateKept(t *testing.T, g *verify.Guard, codes map[string]string) []string {
	t.Helper()
	ctx := context.Background()
	var lost []string
	rule := func(err error) verify.Rule {
		var le *verify.LimitError
		if errors.As(err, &le) {
			return le.Rule
		}
		return ""
	}
	check := func(ok bool, what string, err error) {
		require.False(t, errors.Is(err, verify.ErrStore), "%s: %v", what, err)
		if !ok {
			lost = append(lost, fmt.Sprintf("%s (got %v)", what, err))
		}
	}
	err := g.AllowSend(ctx, crashFull, "198.51.100.1")
	check(rule(err) == verify.RuleRecipientSends, "the recipient's full send window", err)
	err = g.AllowSend(ctx, "+4917012340099", crashIP)
	check(rule(err) == verify.RuleIPSends, "the IP's full send window", err)
	err = g.Check(ctx, crashLocked, codes[crashLocked])
	check(errors.Is(err, otpkit.ErrMaxAttempts), "the locked code stays locked", err)
	err = g.AllowCheck(ctx, crashSpent)
	check(rule(err) == verify.RuleFailures, "the spent failure budget", err)
	err = g.Check(ctx, crashUsed, codes[crashUsed])
	check(errors.Is(err, otpkit.ErrNotFound), "the used code stays used", err)
	err = g.Check(ctx, crashLive, wrongCode(codes[crashLive]))
	var ice *verify.InvalidCodeError
	check(errors.As(err, &ice) && ice.AttemptsLeft == 1, "the live code's used attempt", err)
	return lost
}

// waitAOFWritten waits until Redis wrote every acknowledged command to the
// append-only file (the OS has it; a SIGKILL of Redis cannot lose it).
// With appendfsync everysec Redis writes before it replies, unless a slow
// disk held the last fsync for over a second: then it may reply first, for
// up to 2 seconds, which is what a crash can lose.
func waitAOFWritten(t *testing.T, rdb *redis.Client) {
	t.Helper()
	require.Eventually(t, func() bool {
		info, err := rdb.Info(context.Background(), "persistence").Result()
		return err == nil && strings.Contains(info, "aof_enabled:1") && strings.Contains(info, "aof_buffer_length:0\r")
	}, 10*time.Second, 10*time.Millisecond, "the append-only file is written")
}

// TestKillWithAOFKeepsEveryState: Redis killed with SIGKILL (a crash, the
// OOM killer) and restarted with the append-only file (appendfsync
// everysec) keeps every send window, lock and failure budget.
func TestKillWithAOFKeepsEveryState(t *testing.T) {
	srv := redistest.StartServer(t, redistest.WithAOF())
	rdb := oneServer(t, srv.Addr())
	g := newGuard(t, redisstore.New(rdb), newClock(), crashLimits)
	codes := makeCrashState(t, g, nil)
	waitAOFWritten(t, rdb)

	srv.Kill()
	require.NoError(t, srv.Restart())
	assert.Empty(t, crashStateKept(t, g, codes), "lost in the crash")
}

// The control: the same crash without the append-only file (Redis's
// default snapshots, none taken yet) loses all of it.
func TestKillWithoutAOFLosesState(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := oneServer(t, srv.Addr())
	g := newGuard(t, redisstore.New(rdb), newClock(), crashLimits)
	codes := makeCrashState(t, g, nil)

	srv.Kill()
	require.NoError(t, srv.Restart())
	lost := crashStateKept(t, g, codes)
	t.Logf("without AOF, a SIGKILL lost: %s", strings.Join(lost, "; "))
	assert.Len(t, lost, 5, "everything but the used code (its Issue was lost too)")
}
