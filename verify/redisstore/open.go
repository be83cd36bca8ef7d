package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/verify"
)

// ErrWrongClient is the error of Open when the client does not fit the
// server: a one-address client (redis.NewClient, or NewUniversalClient with
// one address) of a Redis Cluster node, which would answer CROSSSLOT or
// MOVED to the store's calls, or a Cluster client of a server that is not
// in a Cluster.
var ErrWrongClient = errors.New("redisstore: the client does not fit the server")

// ErrEvictionPolicy is the error of Open when the server may evict keys
// (its maxmemory-policy is not noeviction) and WithEvictionAllowed was not
// given: every key of the store has a TTL, so a full Redis would drop send
// counts, attempts, failure budgets and locks first, and a flood (of
// webhook ids, of sends to new numbers) could reset anyone's limits.
var ErrEvictionPolicy = errors.New("redisstore: Redis may evict the store's keys")

// WithEvictionAllowed lets Open accept a server whose maxmemory-policy
// evicts keys (see ErrEvictionPolicy), for an app that accepts that its
// limits may reset when Redis is full; Open still logs a warning. New
// ignores it.
func WithEvictionAllowed() Option {
	return func(s *Store) { s.evictionAllowed = true }
}

// WithLogger sets where Open logs its warnings (default slog.Default()).
// New ignores it.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.logger = l
		}
	}
}

// unansweredError is an error of Open when Redis does not answer (down,
// unreachable, a timeout): like every other store failure, it satisfies
// errors.Is(err, verify.ErrStore), and it unwraps to go-redis's error.
type unansweredError struct {
	msg string
	err error
}

func (e *unansweredError) Error() string   { return e.msg + ": " + e.err.Error() }
func (e *unansweredError) Unwrap() []error { return []error{verify.ErrStore, e.err} }

// Open is the production constructor: New after checking the server.
//
//   - It pings the server: an unreachable Redis is an error.
//   - It refuses (ErrWrongClient) a one-address client of a Cluster node
//     and a Cluster client of a server outside a Cluster.
//   - It reads the configuration of every node the client knows (a
//     Cluster's masters and replicas; a Sentinel client's current master)
//     and refuses an evicting maxmemory-policy (ErrEvictionPolicy) unless
//     WithEvictionAllowed is given; it logs a warning when a node runs
//     without the append-only file (appendonly no: a restart then goes back
//     to the last snapshot, resetting limits and unlocking locked codes),
//     or syncs it only when the OS chooses (appendfsync no).
//   - Where CONFIG is not allowed (managed Redis services often disable
//     it) it skips those two checks, and logs that it did.
//
// A Redis that does not answer is an error satisfying verify.ErrStore, as
// the Guard's store errors are; a client that does not fit is
// ErrWrongClient, an evicting policy ErrEvictionPolicy.
//
// Then it returns New(rdb, opts...). The checks are a few commands, once.
// (On a Cluster, a Store made either way reloads the slot map after a
// connection error, so that its calls reach a promoted replica within
// moments of a failover instead of at go-redis's next periodic reload.)
func Open(ctx context.Context, rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: Open: no client")
	}
	s := New(rdb, opts...)
	log := s.logger
	if log == nil {
		log = slog.Default()
	}

	if err := rdb.Ping(ctx).Err(); err != nil {
		if redis.HasErrorPrefix(err, "This instance has cluster support disabled") {
			return nil, fmt.Errorf("%w: a Cluster client (redis.NewClusterClient, or NewUniversalClient with "+
				"several addresses) of a server that is not in a Cluster: use redis.NewClient", ErrWrongClient)
		}
		return nil, &unansweredError{msg: "redisstore: Open: Redis does not answer", err: err}
	}
	_, cluster := rdb.(*redis.ClusterClient)
	nodes, err := nodesOf(ctx, rdb)
	if err != nil {
		return nil, &unansweredError{msg: "redisstore: Open: listing the nodes", err: err}
	}
	for _, n := range nodes {
		err := checkNode(ctx, n, cluster, s.evictionAllowed, log)
		var reply redis.Error
		if err != nil && n.replica && !errors.As(err, &reply) && !errors.Is(err, ErrWrongClient) && !errors.Is(err, ErrEvictionPolicy) {
			// A replica that is down does not stop the app; its master serves.
			log.LogAttrs(ctx, slog.LevelWarn, "redisstore: a Cluster replica does not answer; not checked",
				slog.String("redis", n.addr), slog.String("error", err.Error()))
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// node is one server the client talks to, and its address for messages.
type node struct {
	addr    string
	c       redis.Cmdable
	replica bool // a Cluster replica: one that does not answer is only logged
}

// nodesOf lists the servers behind rdb: every master and replica of a
// Cluster, every shard of a Ring, else rdb itself.
func nodesOf(ctx context.Context, rdb redis.UniversalClient) ([]node, error) {
	var mu sync.Mutex
	var nodes []node
	add := func(replica bool) func(context.Context, *redis.Client) error {
		return func(_ context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			nodes = append(nodes, node{addr: c.Options().Addr, c: c, replica: replica})
			return nil
		}
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		if err = c.ForEachMaster(ctx, add(false)); err == nil {
			err = c.ForEachSlave(ctx, add(true))
		}
	case *redis.Ring:
		err = c.ForEachShard(ctx, add(false))
	case *redis.Client:
		nodes = append(nodes, node{addr: c.Options().Addr, c: c})
	default:
		nodes = append(nodes, node{addr: "the server", c: rdb})
	}
	return nodes, err
}

// checkNode checks one server: its mode against the client's, then its
// eviction policy and persistence when CONFIG is allowed.
func checkNode(ctx context.Context, n node, clusterClient, evictionAllowed bool, log *slog.Logger) error {
	info, err := n.c.Info(ctx, "cluster").Result()
	var reply redis.Error
	if err != nil && !errors.As(err, &reply) {
		return &unansweredError{msg: "redisstore: Open: INFO cluster on " + n.addr, err: err}
	} else if err != nil {
		return fmt.Errorf("redisstore: Open: INFO cluster on %s: %w", n.addr, err)
	}
	if clusterNode := infoValue(info, "cluster_enabled") == "1"; clusterNode && !clusterClient {
		return fmt.Errorf("%w: %s is a Cluster node, and a one-address client of it would answer CROSSSLOT "+
			"or MOVED: use redis.NewClusterClient (or NewUniversalClient with IsClusterMode)", ErrWrongClient, n.addr)
	} else if !clusterNode && clusterClient {
		return fmt.Errorf("%w: %s is not in a Cluster: use redis.NewClient", ErrWrongClient, n.addr)
	}

	policy, err := configGet(ctx, n.c, "maxmemory-policy")
	var appendonly, fsync string
	if err == nil {
		appendonly, err = configGet(ctx, n.c, "appendonly")
	}
	if err == nil {
		fsync, err = configGet(ctx, n.c, "appendfsync")
	}
	if errors.As(err, &reply) || errors.Is(err, errNoConfig) {
		log.LogAttrs(ctx, slog.LevelWarn, "redisstore: CONFIG GET is not allowed, so the eviction policy "+
			"and persistence were not checked: make sure maxmemory-policy is noeviction and appendonly is yes",
			slog.String("redis", n.addr), slog.String("error", err.Error()))
		return nil
	}
	if err != nil {
		return &unansweredError{msg: "redisstore: Open: CONFIG GET on " + n.addr, err: err}
	}
	if policy != "noeviction" {
		if !evictionAllowed {
			return fmt.Errorf("%w: maxmemory-policy is %s on %s; set it to noeviction (and give the store a Redis "+
				"of its own, or memory that cannot run out), or accept the risk with WithEvictionAllowed",
				ErrEvictionPolicy, policy, n.addr)
		}
		log.LogAttrs(ctx, slog.LevelWarn, "redisstore: Redis may evict the store's keys (WithEvictionAllowed): "+
			"when it is full, limits, attempts and locks may reset",
			slog.String("redis", n.addr), slog.String("maxmemory-policy", policy))
	}
	if appendonly != "yes" {
		log.LogAttrs(ctx, slog.LevelWarn, "redisstore: appendonly is off: a Redis restart or crash goes back "+
			"to its last snapshot, resetting send counts, attempts and failure budgets and unlocking locked codes; "+
			"set appendonly yes with appendfsync everysec", slog.String("redis", n.addr))
	} else if fsync == "no" {
		log.LogAttrs(ctx, slog.LevelWarn, "redisstore: appendfsync is no: a crash of the machine may lose "+
			"the last 30s or so of decisions; set appendfsync everysec", slog.String("redis", n.addr))
	}
	return nil
}

// errNoConfig: CONFIG GET answered without the parameter (renamed or
// filtered by a managed service).
var errNoConfig = errors.New("CONFIG GET answered nothing")

func configGet(ctx context.Context, c redis.Cmdable, name string) (string, error) {
	m, err := c.ConfigGet(ctx, name).Result()
	if err != nil {
		return "", err
	}
	v, ok := m[name]
	if !ok {
		return "", errNoConfig
	}
	return v, nil
}

// infoValue is a field of an INFO answer ("name:value" lines).
func infoValue(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}
