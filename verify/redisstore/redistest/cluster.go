package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster this package started: masters that share the
// 16384 slots evenly, each with WithReplicasPerMaster replicas.
//
// A master that dies fails over to one of its replicas about
// WithNodeTimeout later, when the other masters agree that it is down: that
// takes a majority of the masters, so automatic failover needs at least 3.
type Cluster struct {
	nodes []*Server // the masters first, then each master's replicas in turn
	root  string    // deleted by Close, when made without a test
}

// StartCluster starts a Redis Cluster of masters masters for t (with
// WithReplicasPerMaster, replicas too) and returns the addresses of all its
// nodes once every slot is served and every node agrees on who serves it.
// The nodes are killed and their data deleted when t ends.
func StartCluster(t testing.TB, masters int, opts ...Option) []string {
	t.Helper()
	return StartClusterServers(t, masters, opts...).Addrs()
}

// StartClusterServers is StartCluster returning the Cluster's handle, for
// tests that kill or restart its nodes.
func StartClusterServers(t testing.TB, masters int, opts ...Option) *Cluster {
	t.Helper()
	Need(t)
	c, err := startCluster(t.TempDir(), masters, newConfig(opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// NewCluster starts a Cluster like StartClusterServers, without a test:
// Close kills its nodes and deletes their data. A package's tests can share
// one, started in TestMain (forming a Cluster takes a few seconds).
func NewCluster(masters int, opts ...Option) (*Cluster, error) {
	root, err := os.MkdirTemp("", "redistest-cluster-")
	if err != nil {
		return nil, err
	}
	c, err := startCluster(root, masters, newConfig(opts))
	if err != nil {
		_ = os.RemoveAll(root)
		return nil, err
	}
	c.root = root
	return c, nil
}

func startCluster(root string, masters int, cfg *config) (_ *Cluster, err error) {
	if masters < 1 || cfg.replicas < 0 {
		return nil, fmt.Errorf("redistest: a Cluster of %d masters with %d replicas each", masters, cfg.replicas)
	}
	c := &Cluster{}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	n := masters * (1 + cfg.replicas)
	for i := range n {
		s, err := launch(filepath.Join(root, "node"+strconv.Itoa(i)), kindClusterNode, dataConf(cfg, kindClusterNode, ""))
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*patience)
	defer cancel()
	clients := make([]*redis.Client, n)
	ids := make([]string, n)
	for i, s := range c.nodes {
		clients[i] = s.client()
		defer clients[i].Close()
		if ids[i], err = clients[i].ClusterMyID(ctx).Result(); err != nil {
			return nil, fmt.Errorf("redistest: CLUSTER MYID: %w", err)
		}
	}
	// What redis-cli --cluster create does, for any number of masters:
	// slots, distinct config epochs, then the nodes meet.
	for i := range masters {
		var slots []int
		for slot := i * 16384 / masters; slot < (i+1)*16384/masters; slot++ {
			slots = append(slots, slot)
		}
		if err := clients[i].ClusterAddSlots(ctx, slots...).Err(); err != nil {
			return nil, fmt.Errorf("redistest: CLUSTER ADDSLOTS: %w", err)
		}
	}
	for i, rdb := range clients {
		if err := rdb.Do(ctx, "cluster", "set-config-epoch", i+1).Err(); err != nil {
			return nil, fmt.Errorf("redistest: CLUSTER SET-CONFIG-EPOCH: %w", err)
		}
	}
	for _, s := range c.nodes[1:] {
		if err := clients[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(s.port)).Err(); err != nil {
			return nil, fmt.Errorf("redistest: CLUSTER MEET: %w", err)
		}
	}
	if err := waitFor(ctx, "Cluster nodes meeting", func(ctx context.Context) error {
		for i, rdb := range clients {
			nodes, err := clusterNodes(ctx, rdb)
			if err != nil {
				return err
			}
			for _, id := range ids {
				v, ok := nodes[id]
				if !ok || v.has("handshake") || v.has("noaddr") {
					return fmt.Errorf("node %s does not know %s yet", c.nodes[i].Addr(), id)
				}
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for r := masters; r < n; r++ {
		master := (r - masters) / cfg.replicas
		if err := clients[r].ClusterReplicate(ctx, ids[master]).Err(); err != nil {
			return nil, fmt.Errorf("redistest: CLUSTER REPLICATE: %w", err)
		}
	}
	if err := c.WaitHealthy(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Addrs are the addresses of every node, masters first (as started; a
// failover changes who is master, not this order).
func (c *Cluster) Addrs() []string {
	var a []string
	for _, n := range c.nodes {
		a = append(a, n.Addr())
	}
	return a
}

// Nodes are every node, in the order of Addrs.
func (c *Cluster) Nodes() []*Server { return append([]*Server(nil), c.nodes...) }

// Close kills every node and, for a Cluster made by NewCluster, deletes
// their data.
func (c *Cluster) Close() {
	for _, n := range c.nodes {
		n.Kill()
	}
	if c.root != "" {
		_ = os.RemoveAll(c.root)
	}
}

// node is the node at addr, or nil.
func (c *Cluster) node(addr string) *Server {
	for _, n := range c.nodes {
		if n.Addr() == addr {
			return n
		}
	}
	return nil
}

// running are the nodes whose process runs.
func (c *Cluster) running() []*Server {
	var r []*Server
	for _, n := range c.nodes {
		if n.Running() {
			r = append(r, n)
		}
	}
	return r
}

// MasterOf returns the master that serves key's slot, as the first running
// node that answers sees it (during a failover, nodes may disagree: wait
// with WaitHealthy or WaitFailover first).
func (c *Cluster) MasterOf(ctx context.Context, key string) (*Server, error) {
	var lastErr error = errors.New("no node is running")
	for _, n := range c.running() {
		rdb := n.client()
		slot, err := rdb.ClusterKeySlot(ctx, key).Result()
		var slots []slotRange
		if err == nil {
			slots, err = clusterSlots(ctx, rdb)
		}
		_ = rdb.Close()
		if err != nil {
			lastErr = err
			continue
		}
		for _, r := range slots {
			if int64(r.start) <= slot && slot <= int64(r.end) {
				if m := c.node(r.master); m != nil {
					return m, nil
				}
				return nil, fmt.Errorf("redistest: slot %d is served by %s, not a node of this Cluster", slot, r.master)
			}
		}
		return nil, fmt.Errorf("redistest: no node serves slot %d", slot)
	}
	return nil, fmt.Errorf("redistest: MasterOf: %w", lastErr)
}

// Masters returns the nodes that serve slots, as the first running node
// that answers sees it.
func (c *Cluster) Masters(ctx context.Context) ([]*Server, error) {
	var lastErr error = errors.New("no node is running")
	for _, n := range c.running() {
		rdb := n.client()
		slots, err := clusterSlots(ctx, rdb)
		_ = rdb.Close()
		if err != nil {
			lastErr = err
			continue
		}
		var masters []*Server
		seen := map[string]bool{}
		for _, r := range slots {
			if seen[r.master] {
				continue
			}
			seen[r.master] = true
			if m := c.node(r.master); m != nil {
				masters = append(masters, m)
			}
		}
		return masters, nil
	}
	return nil, fmt.Errorf("redistest: Masters: %w", lastErr)
}

// WaitHealthy waits until the Cluster has settled: every running node
// says cluster_state:ok, sees every other running node as reachable and in
// the role that node gives itself, and agrees with the others on which
// node serves each of the 16384 slots; every slot is served by a running
// master; every running replica's link to its master is up. Without a
// deadline in ctx it waits at most a minute.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	return waitFor(ctx, "Cluster not healthy", c.healthy)
}

// WaitFailover waits until no running node names old (a master that was
// killed, stopped or paused) as serving a slot, and the Cluster is healthy
// again (WaitHealthy): one of old's replicas took over. Then MasterOf
// finds the new master of a key. Without a deadline in ctx it waits at
// most a minute.
func (c *Cluster) WaitFailover(ctx context.Context, old *Server) error {
	return waitFor(ctx, "no failover of "+old.Addr(), func(ctx context.Context) error {
		if err := c.healthy(ctx); err != nil {
			return err
		}
		for _, n := range c.running() {
			if n == old {
				continue
			}
			rdb := n.client()
			slots, err := clusterSlots(ctx, rdb)
			_ = rdb.Close()
			if err != nil {
				return err
			}
			for _, r := range slots {
				if r.master == old.Addr() {
					return fmt.Errorf("%s still names %s for slots %d-%d", n.Addr(), old.Addr(), r.start, r.end)
				}
			}
		}
		return nil
	})
}

// healthy is one check of WaitHealthy.
func (c *Cluster) healthy(ctx context.Context) error {
	running := c.running()
	if len(running) == 0 {
		return errors.New("no node is running")
	}
	type view struct {
		nodes map[string]nodeLine
		slots string
	}
	views := make([]view, len(running))
	self := map[string]nodeLine{} // node id → the node's own line
	for i, n := range running {
		rdb := n.client()
		err := func() error {
			defer rdb.Close()
			info, err := rdb.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("%s: cluster_state is not ok", n.Addr())
			}
			nodes, err := clusterNodes(ctx, rdb)
			if err != nil {
				return err
			}
			slots, err := clusterSlots(ctx, rdb)
			if err != nil {
				return err
			}
			views[i] = view{nodes: nodes, slots: slotMap(slots)}
			for id, l := range nodes {
				if l.has("myself") {
					self[id] = l
					if l.has("slave") {
						repl, err := rdb.Info(ctx, "replication").Result()
						if err != nil {
							return err
						}
						if infoField(repl, "master_link_status") != "up" {
							return fmt.Errorf("replica %s: link to its master is not up", n.Addr())
						}
					}
				}
			}
			covered := 0
			for _, r := range slots {
				if c.node(r.master) == nil || !c.node(r.master).Running() {
					return fmt.Errorf("%s: slots %d-%d have no running master", n.Addr(), r.start, r.end)
				}
				covered += r.end - r.start + 1
			}
			if covered != 16384 {
				return fmt.Errorf("%s: %d of 16384 slots are served", n.Addr(), covered)
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	for i, v := range views {
		if v.slots != views[0].slots {
			return fmt.Errorf("%s and %s disagree on the slots", running[0].Addr(), running[i].Addr())
		}
		for id, own := range self {
			l, ok := v.nodes[id]
			if !ok || l.has("fail") || l.has("fail?") || l.has("handshake") || l.role() != own.role() || l.master != own.master {
				return fmt.Errorf("%s does not yet see %s as it is (%s)", running[i].Addr(), own.addr, own.role())
			}
		}
	}
	return nil
}

// slotRange is a range of slots and the address of its master.
type slotRange struct {
	start, end int
	master     string
}

// clusterSlots reads which master serves which slots, as rdb sees it, from
// CLUSTER NODES (CLUSTER SLOTS is deprecated, CLUSTER SHARDS needs Redis 7).
func clusterSlots(ctx context.Context, rdb *redis.Client) ([]slotRange, error) {
	text, err := rdb.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, err
	}
	var slots []slotRange
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !slices.Contains(strings.Split(f[2], ","), "master") {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being migrated
			}
			lo, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = lo
			}
			start, err1 := strconv.Atoi(lo)
			end, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("CLUSTER NODES: bad slots %q", r)
			}
			slots = append(slots, slotRange{start: start, end: end, master: addr})
		}
	}
	return slots, nil
}

// slotMap is a comparable form of a slot map.
func slotMap(slots []slotRange) string {
	parts := make([]string, 0, len(slots))
	for _, r := range slots {
		parts = append(parts, fmt.Sprintf("%d-%d=%s", r.start, r.end, r.master))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// nodeLine is a line of CLUSTER NODES.
type nodeLine struct {
	addr   string // host:port
	flags  []string
	master string // the master's id for a replica, else "-"
}

func (l nodeLine) has(flag string) bool {
	for _, f := range l.flags {
		if f == flag {
			return true
		}
	}
	return false
}

func (l nodeLine) role() string {
	if l.has("slave") {
		return "replica"
	}
	return "master"
}

// clusterNodes reads CLUSTER NODES: node id → its line.
func clusterNodes(ctx context.Context, rdb *redis.Client) (map[string]nodeLine, error) {
	text, err := rdb.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, err
	}
	nodes := map[string]nodeLine{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		nodes[f[0]] = nodeLine{addr: addr, flags: strings.Split(f[2], ","), master: f[3]}
	}
	return nodes, nil
}
