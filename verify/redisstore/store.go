// Package redisstore is a verify.Store on Redis, for apps that run on
// several instances: every instance's Guard sees the same codes, attempts,
// failures and send counts, and every Guard decision is atomic in Redis.
//
// It works with a single server, a Sentinel setup (a failover client) or a
// Cluster, through go-redis v9's redis.UniversalClient; Open checks the
// server first (see the README's "Redis in production" for the client
// options, persistence and replicas):
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379",
//		ContextTimeoutEnabled: true, ReadTimeout: time.Second, WriteTimeout: time.Second})
//	store, err := redisstore.Open(ctx, rdb)
//	...
//	g, err := verify.NewGuard(store, verify.WithSecret(key))
//
// How it works, and why:
//   - Every decision is one Lua script (loaded once with EVALSHA; after a
//     SCRIPT FLUSH, a restart or a failover the NOSCRIPT answer falls back
//     to EVAL), so on a single server Check, Issue and AllowSend are one
//     round trip each, and so is a Service's reservation of a check
//     (ReserveCheck: the ref's expiry and attempts and its recipient's
//     failure budget), the only round trip a Service.Check of a Tryvox or
//     dotdigital code makes before the provider's. That script names the
//     recipient's key from the ref it read, which a Cluster would refuse
//     (another slot): there it is two scripts, the ref's first, so that a
//     ref whose attempts are used answers ErrMaxAttempts before a spent
//     budget is looked at.
//   - Recipients, IP addresses and prefixes reach the store as the
//     Guard's pseudonyms (HMACs), so no key or value holds a number or an
//     address.
//   - A recipient's state is one key (its code's MAC, expiry and attempts,
//     its failures, its sends), so its decisions touch one key; so is an
//     IP address's send log, and a number prefix's send log with its
//     conversion counts. Each is one compact string, read and written
//     whole: a script reads every key it decides on with one MGET and
//     writes each with one SET that sets its TTL too. A ref is a string
//     too (its expiry, its attempts, the record). Keys carry hash tags
//     ({recipient}, {ip}, {prefix}, {ref}).
//   - On a Cluster those three keys live in different slots, so AllowSend
//     commits the recipient's, then the IP's, then the prefix's rules one
//     key at a time, each atomically, and takes back (refunds) what it
//     committed when a later key refuses. A rule's count can therefore
//     never exceed its limit; under contention a send may be refused that
//     a moment later would have been allowed, never the other way round.
//   - The Guard's clock is the only time source: scripts get "now" from the
//     caller and compare it with the times they stored. Every key has a TTL
//     that only bounds what is kept (the longest window that can still
//     need it, and a quarter more), so nothing grows forever.
//   - Only MACs of codes are stored (HMAC-SHA256 cut to 128 bits), never a
//     code.
//   - A Redis error (down, timeout, a cancelled context) is an error of the
//     Guard, which fails closed (verify.ErrStore).
//   - go-redis sends a command again after some network errors
//     (Options.MaxRetries), also when Redis had run it and only the reply
//     was lost. Every decision carries an operation id, and a decision that
//     already ran answers what it decided then, so a retry counts no send,
//     attempt or failure twice: a recipient's record keeps the answers of
//     its two last decisions and moves older ones under keys of their own
//     while they are younger than 30s; a ref's decisions, a refund and a
//     Cluster's other keys keep theirs 30s under a key of the operation's
//     own.
//   - On a Cluster, the store has the client reload its slot map after a
//     connection error, so that its calls reach a promoted replica within
//     moments of a failover (go-redis's own reload comes every 60s).
//   - WithReplicas makes each decision wait until replicas have it, so that
//     a failover loses none that was answered.
//
// A Store also implements otpkit's webhook deduplication (Claim, Done,
// Release), so that instances behind a load balancer handle each LOX24
// event once.
package redisstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/verify"
)

// Store is a verify.Store (and a webhook deduplicator) on Redis. It is safe
// for concurrent use; make it with New.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	// oneServer: every key is on one server, so a send's keys can be used
	// by one script. False for a Cluster (or a Ring), where each key is
	// used on its own.
	oneServer bool
	// replicas and replicaTimeout: WithReplicas; 0 waits for none.
	replicas       int
	replicaTimeout time.Duration
	// logger and evictionAllowed: Open's WithLogger and WithEvictionAllowed.
	logger          *slog.Logger
	evictionAllowed bool
}

// Option configures a Store in New.
type Option func(*Store)

// WithPrefix sets the prefix of every key the store writes (default
// "otpkit:"), e.g. to share a Redis between apps. Keep "{" and "}" out of
// it: they would make it a Cluster hash tag.
func WithPrefix(p string) Option {
	return func(s *Store) { s.prefix = p }
}

// WithReplicas makes every decision wait, after it ran on the master, until
// n replicas acknowledged it or timeout passed (Redis's WAIT, on the same
// connection); fewer acknowledgements is an error, which the Guard turns
// into one satisfying verify.ErrStore: it fails closed, although the
// decision may stand on the master. With it, a failover to a replica loses
// no acknowledged attempt, lock, send or failure. Without it (the default),
// a master that dies before its replica copied the last writes takes them
// with it, and a promoted replica may accept a locked or used code again.
//
// What it costs: one round trip from the master to its replica per
// decision (measured on loopback: a decision's p50 went from 28 to 73 µs;
// on a network, about one round trip to the replica). What it is not:
// strong consistency. A write acknowledged by fewer replicas may still be
// on the master, and Redis may still lose acknowledged writes in rare
// failovers; pair it with min-replicas-to-write on the master and AOF.
// See the README's "Redis in production".
func WithReplicas(n int, timeout time.Duration) Option {
	return func(s *Store) {
		s.replicas, s.replicaTimeout = max(n, 0), max(timeout, time.Millisecond)
	}
}

// New returns a Store on rdb: a *redis.Client (single server, or Sentinel
// through redis.NewFailoverClient), a *redis.ClusterClient, or what
// redis.NewUniversalClient returns.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, prefix: "otpkit:"}
	_, s.oneServer = rdb.(*redis.Client)
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	return s
}

// Shared reports true: processes share a Redis, so a Guard on it needs
// verify.WithSecret.
func (s *Store) Shared() bool { return true }

// String describes the store without its client's options (which may hold
// a password).
func (s *Store) String() string { return "redisstore.Store{prefix: " + s.prefix + "}" }

// GoString is String.
func (s *Store) GoString() string { return s.String() }

// Format implements fmt.Formatter: every verb (%v, %+v, %#v, %s, %d, %x …)
// prints String, so that no verb reaches the fields, where fmt would print
// the secret's bytes or the client's options (%d and %x ignore String).
func (s *Store) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// The keys of the Guard's state; each holds one string (see lib.lua for
// their layouts). Their names differ from those of earlier releases, which held
// other layouts, so that a store never misreads what an older one wrote.

// recipientKey is a recipient's record.
func (s *Store) recipientKey(recipient string) string { return s.recipientKeyHead() + recipient + "}" }

// recipientKeyHead is a recipient record's key up to its pseudonym, for
// the script that names it from a ref.
func (s *Store) recipientKeyHead() string { return s.prefix + "rcpt:{" }

// ipKey is the send log of a client address.
func (s *Store) ipKey(ip string) string { return s.prefix + "addr:{" + ip + "}" }

// prefixKey is a number prefix's record: its send log and its conversion
// counter.
func (s *Store) prefixKey(p string) string { return s.prefix + "pfx:{" + p + "}" }

// countryKey is the conversion guard's counter of a country.
func (s *Store) countryKey(c string) string { return s.prefix + "ctry:{" + c + "}" }

// conversionKeys are the keys a verified code counts in: the country's
// counter and the prefix's record, for the levels of the guard that conv
// turns on (none with the guard off).
func (s *Store) conversionKeys(conv verify.ConversionRules, country, prefix string) []sendKey {
	var keys []sendKey
	if country != "" && countryMin(conv) > 0 {
		keys = append(keys, sendKey{role: 'c', key: s.countryKey(country)})
	}
	if prefix != "" && prefixMin(conv) > 0 {
		keys = append(keys, sendKey{role: 'p', key: s.prefixKey(prefix)})
	}
	return keys
}

// countryMin and prefixMin are conv's minimum samples of a country and of
// a prefix, 0 for a level that is off.
func countryMin(conv verify.ConversionRules) int {
	if conv.Window <= 0 {
		return 0
	}
	return max(conv.MinCountrySends, 0)
}

func prefixMin(conv verify.ConversionRules) int {
	if conv.Window <= 0 {
		return 0
	}
	return max(conv.MinPrefixSends, 0)
}

// bucketOf is the length of one of conv's buckets (as verify counts them:
// whole milliseconds, at least one).
func bucketOf(conv verify.ConversionRules) time.Duration {
	return max(conv.Window/verify.ConversionBuckets/time.Millisecond, 1) * time.Millisecond
}

// hookKey is a webhook event's claim or done mark.
func (s *Store) hookKey(id string) string { return s.prefix + "hook:{" + id + "}" }

// followUp is the context of the calls that complete a decision already
// taken on a Cluster's other slots (a refund of the keys a refused send
// committed, the undo of a reservation, the count of a verified code): not
// cancelled with ctx, so that a caller who goes away leaves no decision
// half done, but bounded by ctx's deadline, so that the Store call still
// returns by it. A follow-up cut short leaves the rules stricter, never
// laxer: a send or an attempt still counted, a verified code not counted.
func followUp(ctx context.Context) (context.Context, context.CancelFunc) {
	detached := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(detached, deadline)
	}
	return detached, func() {}
}
