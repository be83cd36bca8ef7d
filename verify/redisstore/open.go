package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
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

// openConfig is what the options of Open set. Options are func(*Store),
// so Open applies them to a probe Store registered here.
type openConfig struct {
	logger          *slog.Logger
	evictionAllowed bool
}

var (
	openProbes   sync.Map // *Store (a probe of Open) → *openConfig
	reloadHooked sync.Map // *redis.ClusterClient → true: Open added reloadOnError
)

// WithEvictionAllowed lets Open accept a server whose maxmemory-policy
// evicts keys (see ErrEvictionPolicy), for an app that accepts that its
// limits may reset when Redis is full; Open still logs a warning. New
// ignores it.
func WithEvictionAllowed() Option {
	return func(s *Store) {
		if c, ok := openProbes.Load(s); ok {
			c.(*openConfig).evictionAllowed = true
		}
	}
}

// WithLogger sets where Open logs its warnings (default slog.Default()).
// New ignores it.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if c, ok := openProbes.Load(s); ok && l != nil {
			c.(*openConfig).logger = l
		}
	}
}

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
// On a Cluster client it also adds a hook that reloads the Cluster's slot
// map after a connection error, so that calls reach a promoted replica
// within moments of a failover instead of at go-redis's next periodic
// reload (every 60s by default).
//
// Then it returns New(rdb, opts...). The checks are a few commands, once.
func Open(ctx context.Context, rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: Open: no client")
	}
	cfg := &openConfig{logger: slog.Default()}
	probe := &Store{}
	openProbes.Store(probe, cfg)
	for _, opt := range opts {
		if opt != nil {
			opt(probe)
		}
	}
	openProbes.Delete(probe)

	if err := rdb.Ping(ctx).Err(); err != nil {
		if redis.HasErrorPrefix(err, "This instance has cluster support disabled") {
			return nil, fmt.Errorf("%w: a Cluster client (redis.NewClusterClient, or NewUniversalClient with "+
				"several addresses) of a server that is not in a Cluster: use redis.NewClient", ErrWrongClient)
		}
		return nil, fmt.Errorf("redisstore: Open: Redis does not answer: %w", err)
	}
	_, cluster := rdb.(*redis.ClusterClient)
	nodes, err := nodesOf(ctx, rdb)
	if err != nil {
		return nil, fmt.Errorf("redisstore: Open: listing the nodes: %w", err)
	}
	for _, n := range nodes {
		err := checkNode(ctx, n, cluster, cfg)
		var reply redis.Error
		if err != nil && n.replica && !errors.As(err, &reply) && !errors.Is(err, ErrWrongClient) && !errors.Is(err, ErrEvictionPolicy) {
			// A replica that is down does not stop the app; its master serves.
			cfg.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: a Cluster replica does not answer; not checked",
				slog.String("redis", n.addr), slog.String("error", err.Error()))
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	if c, ok := rdb.(*redis.ClusterClient); ok {
		if _, hooked := reloadHooked.LoadOrStore(c, true); !hooked {
			c.AddHook(reloadOnError{c})
		}
	}
	return New(rdb, opts...), nil
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
func checkNode(ctx context.Context, n node, clusterClient bool, cfg *openConfig) error {
	info, err := n.c.Info(ctx, "cluster").Result()
	if err != nil {
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
	var reply redis.Error
	if errors.As(err, &reply) || errors.Is(err, errNoConfig) {
		cfg.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: CONFIG GET is not allowed, so the eviction policy "+
			"and persistence were not checked: make sure maxmemory-policy is noeviction and appendonly is yes",
			slog.String("redis", n.addr), slog.String("error", err.Error()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("redisstore: Open: CONFIG GET on %s: %w", n.addr, err)
	}
	if policy != "noeviction" {
		if !cfg.evictionAllowed {
			return fmt.Errorf("%w: maxmemory-policy is %s on %s; set it to noeviction (and give the store a Redis "+
				"of its own, or memory that cannot run out), or accept the risk with WithEvictionAllowed",
				ErrEvictionPolicy, policy, n.addr)
		}
		cfg.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: Redis may evict the store's keys (WithEvictionAllowed): "+
			"when it is full, limits, attempts and locks may reset",
			slog.String("redis", n.addr), slog.String("maxmemory-policy", policy))
	}
	if appendonly != "yes" {
		cfg.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: appendonly is off: a Redis restart or crash goes back "+
			"to its last snapshot, resetting send counts, attempts and failure budgets and unlocking locked codes; "+
			"set appendonly yes with appendfsync everysec", slog.String("redis", n.addr))
	} else if fsync == "no" {
		cfg.logger.LogAttrs(ctx, slog.LevelWarn, "redisstore: appendfsync is no: a crash of the machine may lose "+
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
