package redisstore

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"strconv"
	"strings"
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
// (a flushed script cache, a restart, a failover). Every decision that
// counts something is a once script (see once).
var (
	sendScript     = once(libLua + sendLua)
	refundScript   = once(libLua + refundLua)
	issueScript    = redis.NewScript(libLua + issueLua) // the same MAC twice is the same state
	checkScript    = once(checkLua)                     // stands alone: the hot path
	failuresScript = once(libLua + failuresLua)
	releaseScript  = redis.NewScript(releaseLua)
	claimRefScript = once(claimRefLua)
	reserveScript  = once(reserveLua) // stands alone: the hot path
	settleScript   = once(libLua + settleLua)
)

// opTTL is how long a decision's answer is kept under its operation id:
// longer than any retry of the command can come (go-redis retries within
// its MaxRetries backoffs and the caller's deadline).
const opTTL = 30 * time.Second

// once wraps a script so that it runs at most once per operation id: its
// last KEY is the operation's key (made by Store.decide, in the slot of
// the script's first key), and its answer is kept there for opTTL. When
// go-redis sends the command again after a cut connection (Options.
// MaxRetries), the script finds the answer it gave and returns it,
// counting nothing twice: a send, an attempt or a failure counts once
// whatever the client retries, and a right code used up by the first
// run still answers "verified" to the retry.
func once(body string) *redis.Script {
	return redis.NewScript("local opkey = KEYS[#KEYS]\n" +
		"local done = redis.call('GET', opkey)\n" +
		"if done then return cjson.decode(done) end\n" +
		"local answer = (function()\n" + body + "\nend)()\n" +
		"redis.call('SET', opkey, cjson.encode(answer), 'PX', " + strconv.FormatInt(opTTL.Milliseconds(), 10) + ")\n" +
		"return answer\n")
}

// decide runs a once script over keys with a new operation id: the same
// id on every retry of this call, a new one on the next call.
func (s *Store) decide(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	return script.Run(ctx, s.rdb, append(keys, s.opKey(keys[0])), args...)
}

// opBytes is the randomness of an operation id: two calls never share one.
const opBytes = 12

// opKey is a new operation's key in the slot of key (its hash tag).
func (s *Store) opKey(key string) string {
	b := make([]byte, opBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	tag := key
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			tag = key[i+1 : i+1+j]
		}
	}
	return s.prefix + "op:{" + tag + "}:" + base64.RawURLEncoding.EncodeToString(b)
}

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
