package redisstore

import (
	_ "embed"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lib.lua
	libLua string
	//go:embed send.lua
	sendLua string
	//go:embed refund.lua
	refundLua string
	//go:embed issue.lua
	issueLua string
	//go:embed check.lua
	checkLua string
	//go:embed failures.lua
	failuresLua string
	//go:embed release.lua
	releaseLua string
	//go:embed claimref.lua
	claimRefLua string
	//go:embed reserve.lua
	reserveLua string
	//go:embed settle.lua
	settleLua string
)

// The scripts. redis.Script runs EVALSHA and falls back to EVAL on NOSCRIPT
// (a flushed script cache, a restart, a failover).
var (
	sendScript     = redis.NewScript(libLua + sendLua)
	refundScript   = redis.NewScript(libLua + refundLua)
	issueScript    = redis.NewScript(libLua + issueLua)
	checkScript    = redis.NewScript(checkLua) // stands alone: the hot path
	failuresScript = redis.NewScript(libLua + failuresLua)
	releaseScript  = redis.NewScript(releaseLua)
	claimRefScript = redis.NewScript(claimRefLua)
	reserveScript  = redis.NewScript(reserveLua) // stands alone: the hot path
	settleScript   = redis.NewScript(libLua + settleLua)
)

// nowArgs splits t into the scripts' two numbers: Unix milliseconds (floor)
// and the nanoseconds within them, since a Lua number cannot hold Unix
// nanoseconds exactly.
func nowArgs(t time.Time) (ms, ns string) {
	n := t.UnixNano()
	m := n / 1e6
	if n%1e6 < 0 {
		m--
	}
	return strconv.FormatInt(m, 10), strconv.FormatInt(n-m*1e6, 10)
}

// millis is d in whole milliseconds, as the scripts count durations.
func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
