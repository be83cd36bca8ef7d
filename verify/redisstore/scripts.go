package redisstore

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
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
	//go:embed allowcheck.lua
	allowCheckLua string
	//go:embed unlock.lua
	unlockLua string
	//go:embed release.lua
	releaseLua string
	//go:embed claimref.lua
	claimRefLua string
	//go:embed reserve.lua
	reserveLua string
	//go:embed settle.lua
	settleLua string
	//go:embed saveref.lua
	saveRefLua string
	//go:embed delete.lua
	deleteLua string
	//go:embed claim.lua
	claimLua string
	//go:embed done.lua
	doneLua string
)

// The scripts. redis.Script runs EVALSHA and falls back to EVAL on NOSCRIPT
// (a flushed script cache, a restart, a failover). Each carries only the
// helpers of lib.lua it uses (see compose), and reads and writes each key
// once: the state of a recipient, an IP address, a prefix or a country is
// one string, read by one MGET with the others and written by one SET
// with its TTL. Every decision that counts something is a once script
// (see once); Issue and AllowCheck count nothing a retry could count
// twice, and need none.
var (
	sendScript       = inRecord(compose(sendLua))
	refundScript     = once(compose(refundLua))
	issueScript      = redis.NewScript(compose(issueLua))
	checkScript      = inRecord(compose(checkLua))
	failuresScript   = inRecord(compose(failuresLua))
	allowCheckScript = redis.NewScript(compose(allowCheckLua))
	unlockScript     = redis.NewScript(compose(unlockLua))
	releaseScript    = redis.NewScript(releaseLua)
	claimRefScript   = once(compose(claimRefLua))
	reserveScript    = once(compose(reserveLua))
	settleScript     = once(compose(settleLua))
	saveRefScript    = once(saveRefLua)
	deleteScript     = redis.NewScript(deleteLua) // a script only so that WithReplicas can wait for it
	claimScript      = redis.NewScript(claimLua)
	doneScript       = redis.NewScript(doneLua) // as deleteScript
)

// helpers are lib.lua's chunks by name: each starts at a line "--- name".
var helpers = func() map[string]string {
	chunks := map[string]string{}
	parts := strings.Split(libLua, "\n--- ")
	for _, p := range parts[1:] {
		name, body, _ := strings.Cut(p, "\n")
		chunks[name] = body
	}
	return chunks
}()

// compose returns a script's text with each of its lines "--[[uses: name
// ...]]" replaced by those helpers of lib.lua: Redis runs a script's whole
// text on every call, so a script carries only the helpers it uses, and
// one that a single branch uses is made in that branch alone.
func compose(script string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(script, "\n") {
		names, ok := strings.CutPrefix(strings.TrimSpace(line), "--[[uses:")
		if !ok {
			b.WriteString(line)
			continue
		}
		for _, name := range strings.Fields(strings.TrimSuffix(names, "]]")) {
			chunk, ok := helpers[name]
			if !ok {
				panic("redisstore: lib.lua has no helper " + name)
			}
			b.WriteString(chunk)
		}
	}
	return b.String()
}

// opTTL is how long a decision's answer is kept under its operation id:
// longer than any retry of the command can come (go-redis retries within
// its MaxRetries backoffs and the caller's deadline).
const opTTL = 30 * time.Second

// onceHead starts every once script: its operation's key (opkey) and how
// long an answer is kept there (optl, in ms).
var onceHead = "local opkey = KEYS[#KEYS]\n" +
	"local optl = '" + strconv.FormatInt(opTTL.Milliseconds(), 10) + "'\n"

// once makes a script that runs at most once per operation id: its last
// KEY is the operation's key (made by Store.decide, in the slot of the
// script's first key). The script reads that key first, with the keys it
// decides on (one MGET), and returns what it holds when it holds an
// answer; a decision that counted something keeps its answer there for
// opTTL (SET opkey answer PX optl). So when go-redis sends the command
// again after a cut connection (Options.MaxRetries), the script finds the
// answer it gave and returns it, counting nothing twice: a send, an
// attempt or a failure counts once whatever the client retries, and a
// right code used up by the first run still answers "verified" to the
// retry. A decision that counted nothing (a refusal, a code not found)
// keeps no answer: run again, it counts at most once.
func once(body string) *redis.Script { return redis.NewScript(onceHead + body) }

// inRecord makes a once script whose answer is kept in the recipient's
// record it decides on (its two last answers, older ones moved out while a
// retry may come; see lib.lua's oget and olive), not under a key of its
// own: its last ARGV is the operation's id (opID). The
// record is read and written by the decision anyway, so keeping the
// answer there costs a few bytes of the same write; an operation's key
// costs a key created with an expiry (about 2 µs of Redis's time, an
// eighth of a Check's). The caller passes a new opID() last (the same on
// every retry of its call). send.lua, on a Cluster's key other than the
// recipient's, takes an operation's key too, last among its keys (see
// Store.send); refund.lua is a once script (see there why).
func inRecord(body string) *redis.Script { return redis.NewScript("local opid = ARGV[#ARGV]\n" + body) }

// decide runs a once script over keys with a new operation id: the same
// id on every retry of this call, a new one on the next call.
func (s *Store) decide(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	return s.run(ctx, script, append(keys, s.opKey(keys[0])), args...)
}

// run runs script over keys. With WithReplicas it waits for the replicas
// (see replicated). After a network error on a Cluster it has the slot map
// reloaded, so that a promoted replica is found in seconds, not at
// go-redis's next periodic reload.
func (s *Store) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	var cmd *redis.Cmd
	if s.replicas > 0 {
		cmd = s.replicated(ctx, script, keys, args...)
	} else {
		cmd = script.Run(ctx, s.rdb, keys, args...)
	}
	s.afterError(ctx, cmd.Err())
	return cmd
}

// afterError asks a Cluster client to reload its slot map after an error
// that is not Redis's answer (a refused or broken connection, a timeout):
// the master it knew may be gone. go-redis itself follows MOVED and ASK.
func (s *Store) afterError(ctx context.Context, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		return
	}
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return
	}
	// Redis's own answers need no new map, but for those that say the map
	// is stale: MOVED and ASK reach this code through WithReplicas's
	// pipeline to one node, which does not follow them.
	var reply redis.Error
	if errors.As(err, &reply) && !hasAnyPrefix(err.Error(), "CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK") {
		return
	}
	cc.ReloadState(ctx)
}

// replicated runs script and WAIT in one pipeline, on the connection to the
// master that holds keys[0], so that WAIT waits for this very write: fewer
// than s.replicas acknowledgements within the timeout is an error (the
// Guard fails closed on it; the decision may stand on the master).
func (s *Store) replicated(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	node, err := s.master(ctx, keys[0])
	if err != nil {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(err)
		return cmd
	}
	run := func(eval bool) (*redis.Cmd, *redis.Cmd) {
		pipe := node.Pipeline()
		var cmd *redis.Cmd
		if eval {
			cmd = script.Eval(ctx, pipe, keys, args...)
		} else {
			cmd = script.EvalSha(ctx, pipe, keys, args...)
		}
		wait := pipe.Do(ctx, "WAIT", s.replicas, s.replicaTimeout.Milliseconds())
		_, _ = pipe.Exec(ctx)
		return cmd, wait
	}
	cmd, wait := run(false)
	if err := cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		cmd, wait = run(true)
	}
	if cmd.Err() != nil {
		return cmd
	}
	n, err := wait.Int64()
	if err != nil {
		cmd.SetErr(fmt.Errorf("redisstore: waiting for replicas: %w", err))
	} else if n < int64(s.replicas) {
		cmd.SetErr(fmt.Errorf("redisstore: %d of %d replicas acknowledged the write within %s (WithReplicas)", n, s.replicas, s.replicaTimeout))
	}
	return cmd
}

// master is the client of the master that holds key: the store's client on
// one server (or Sentinel), the key's master on a Cluster.
func (s *Store) master(ctx context.Context, key string) (*redis.Client, error) {
	switch c := s.rdb.(type) {
	case *redis.Client:
		return c, nil
	case *redis.ClusterClient:
		return c.MasterForKey(ctx, key)
	}
	return nil, fmt.Errorf("redisstore: WithReplicas needs a *redis.Client or a *redis.ClusterClient, not a %T", s.rdb)
}

// opNonce starts every operation id of this process: 72 random bits, so
// that no two processes share one; a counter follows, so that no two calls
// of the process share one. An id need only be unique (it guards against
// a retry, not an attacker), so a call costs no random bytes.
var opNonce = func() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}()

// opSeq counts the operations of this process.
var opSeq atomic.Uint64

// opIDNonce starts every operation id a recipient's record keeps: 48
// random bits of this process.
var opIDNonce = func() [6]byte {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return b
}()

// opID is a new operation's id as a recipient's record keeps it (lib.lua's
// olive): 12 bytes, the process's nonce and a 48-bit count of its
// operations (it would wrap after 2.8e14 calls). An id found in a record
// answers without deciding, so no two calls may share one: the count
// keeps a process's apart, and two processes share a nonce once in 2^47
// pairs, and then an id only if their counts meet in one recipient's
// decisions within opTTL.
func opID() string {
	var b [12]byte
	copy(b[:6], opIDNonce[:])
	n := opSeq.Add(1)
	for i := 11; i >= 6; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	return string(b[:])
}

// opKey is a new operation's key in the slot of key (its hash tag).
func (s *Store) opKey(key string) string {
	tag := key
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			tag = key[i+1 : i+1+j]
		}
	}
	var b strings.Builder
	b.Grow(len(s.prefix) + len(tag) + len(opNonce) + 20)
	b.WriteString(s.prefix)
	b.WriteString("op:{")
	b.WriteString(tag)
	b.WriteString("}:")
	b.WriteString(opNonce)
	var n [13]byte
	b.Write(strconv.AppendUint(n[:0], opSeq.Add(1), 36))
	return b.String()
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

// hasAnyPrefix reports whether s starts with one of prefixes.
func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
