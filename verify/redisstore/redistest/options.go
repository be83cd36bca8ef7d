package redistest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Option configures the servers a Start or New function starts.
type Option func(*config)

type config struct {
	aof         bool
	extra       [][]string
	replicas    int
	replicasSet bool
	nodeTimeout time.Duration
}

func newConfig(opts []Option) *config {
	cfg := &config{nodeTimeout: 2 * time.Second}
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	return cfg
}

// WithAOF turns on the append-only file with appendfsync everysec, the
// persistence otpkit recommends for production: a server killed with
// SIGKILL and restarted loses at most the last second of writes. Without
// it a server keeps the Redis defaults (RDB snapshots only), so a SIGKILL
// loses everything since the last snapshot.
func WithAOF() Option {
	return func(c *config) { c.aof = true }
}

// WithConfig adds a configuration directive to every data server (not to
// the Sentinels), as a line of redis.conf would: e.g.
// WithConfig("maxmemory-policy", "allkeys-lru") or
// WithConfig("min-replicas-to-write", "1"). It comes after this package's
// own directives, so it overrides them.
func WithConfig(directive string, args ...string) Option {
	return func(c *config) { c.extra = append(c.extra, append([]string{directive}, args...)) }
}

// WithReplicasPerMaster sets how many replicas each master has: for a
// Cluster (default 0) each master gets n replicas, so that a killed master
// fails over; for a Sentinel setup (default 1) the master gets n.
func WithReplicasPerMaster(n int) Option {
	return func(c *config) { c.replicas, c.replicasSet = n, true }
}

// WithNodeTimeout sets how long a node must be unreachable before it is
// considered down (default 2s): the Cluster's cluster-node-timeout, the
// Sentinels' down-after-milliseconds. A failover starts about that long
// after a master dies. Production setups use more (Redis's defaults are 15s
// and 30s); tests use little, so that failovers are quick.
func WithNodeTimeout(d time.Duration) Option {
	return func(c *config) { c.nodeTimeout = d }
}

// dataConf is the redis.conf of a data server (a plain server or replica,
// or a Cluster node): replicaOf is the master's address, or empty.
func dataConf(cfg *config, k kind, replicaOf string) func(port int) string {
	return func(port int) string {
		var b strings.Builder
		line := func(words ...string) { writeLine(&b, words) }
		common(line, port)
		// A replica syncs at once, not after the 5s Redis waits for more
		// replicas to share a diskless transfer.
		line("repl-diskless-sync-delay", "0")
		if cfg.aof {
			line("appendonly", "yes")
			line("appendfsync", "everysec")
		} else {
			line("appendonly", "no")
		}
		if k == kindClusterNode {
			line("cluster-enabled", "yes")
			line("cluster-config-file", "nodes.conf")
			line("cluster-node-timeout", ms(cfg.nodeTimeout))
			// A lone node never learns its address from a peer.
			line("cluster-announce-ip", "127.0.0.1")
			// A replica may take over however long its link was down: tests
			// kill and restart nodes at will.
			line("cluster-replica-validity-factor", "0")
		}
		if replicaOf != "" {
			host, port, _ := strings.Cut(replicaOf, ":")
			line("replicaof", host, port)
		}
		for _, e := range cfg.extra {
			line(e...)
		}
		return b.String()
	}
}

// sentinelConf is a Sentinel's configuration, monitoring the master on
// masterPort as name with a quorum of 2.
func sentinelConf(cfg *config, name string, masterPort int) func(port int) string {
	return func(port int) string {
		var b strings.Builder
		line := func(words ...string) { writeLine(&b, words) }
		common(line, port)
		line("sentinel", "monitor", name, "127.0.0.1", strconv.Itoa(masterPort), "2")
		line("sentinel", "down-after-milliseconds", name, ms(cfg.nodeTimeout))
		// A failover that failed is tried again after twice this.
		line("sentinel", "failover-timeout", name, ms(max(5*cfg.nodeTimeout, 10*time.Second)))
		line("sentinel", "parallel-syncs", name, "1")
		return b.String()
	}
}

// common are the directives of every server: loopback only, in the
// foreground, logging to standard output (the server's log file).
func common(line func(...string), port int) {
	line("port", strconv.Itoa(port))
	line("bind", "127.0.0.1")
	line("protected-mode", "no")
	line("daemonize", "no")
	line("logfile", "")
	line("loglevel", "notice")
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// writeLine writes one redis.conf line, quoting words that need it.
func writeLine(b *strings.Builder, words []string) {
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w == "" || strings.ContainsAny(w, " \t\"'\\") {
			fmt.Fprintf(b, "%q", w) // Redis reads Go's escapes for these characters
		} else {
			b.WriteString(w)
		}
	}
	b.WriteByte('\n')
}
