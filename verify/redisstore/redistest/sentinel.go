package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// sentinelMaster is the name the Sentinels monitor the master as.
const sentinelMaster = "redistest"

// Sentinel is a Sentinel setup this package started: a master, its
// replicas (WithReplicasPerMaster, default 1) and 3 Sentinels that monitor
// it with a quorum of 2. A master that dies fails over to a replica about
// WithNodeTimeout later.
type Sentinel struct {
	data      []*Server // the first master, then its replicas
	sentinels []*Server
	root      string // deleted by Close, when made without a test
}

// StartSentinel starts for t a master, one replica and 3 Sentinels, and
// returns the Sentinels' addresses and the name they monitor the master as
// (for go-redis's FailoverOptions.SentinelAddrs and MasterName), once the
// Sentinels know each other and the replica. Everything is killed and its
// data deleted when t ends.
func StartSentinel(t testing.TB, opts ...Option) (sentinels []string, master string) {
	t.Helper()
	s := StartSentinelServers(t, opts...)
	return s.Addrs(), s.MasterName()
}

// StartSentinelServers is StartSentinel returning the setup's handle, for
// tests that kill the master or restart servers.
func StartSentinelServers(t testing.TB, opts ...Option) *Sentinel {
	t.Helper()
	Need(t)
	s, err := startSentinel(t.TempDir(), newConfig(opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewSentinel starts a Sentinel setup like StartSentinelServers, without a
// test: Close kills it and deletes its data.
func NewSentinel(opts ...Option) (*Sentinel, error) {
	root, err := os.MkdirTemp("", "redistest-sentinel-")
	if err != nil {
		return nil, err
	}
	s, err := startSentinel(root, newConfig(opts))
	if err != nil {
		_ = os.RemoveAll(root)
		return nil, err
	}
	s.root = root
	return s, nil
}

func startSentinel(root string, cfg *config) (_ *Sentinel, err error) {
	replicas := 1
	if cfg.replicasSet {
		replicas = cfg.replicas
	}
	if replicas < 0 {
		return nil, fmt.Errorf("redistest: a Sentinel setup with %d replicas", replicas)
	}
	s := &Sentinel{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	master, err := launch(filepath.Join(root, "data0"), kindServer, dataConf(cfg, kindServer, ""))
	if err != nil {
		return nil, err
	}
	s.data = append(s.data, master)
	for i := range replicas {
		r, err := launch(filepath.Join(root, "data"+strconv.Itoa(i+1)), kindServer, dataConf(cfg, kindServer, master.Addr()))
		if err != nil {
			return nil, err
		}
		s.data = append(s.data, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*patience)
	defer cancel()
	// The Sentinels learn the replicas from the master's INFO, which they
	// read once at start and then every 10s: link the replicas first.
	if err := waitFor(ctx, "replicas not linked", func(ctx context.Context) error {
		return s.replicasLinked(ctx, master)
	}); err != nil {
		return nil, err
	}
	for i := range 3 {
		sn, err := launch(filepath.Join(root, "sentinel"+strconv.Itoa(i)), kindSentinel, sentinelConf(cfg, sentinelMaster, master.port))
		if err != nil {
			return nil, err
		}
		s.sentinels = append(s.sentinels, sn)
	}
	if err := s.WaitHealthy(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Addrs are the Sentinels' addresses.
func (s *Sentinel) Addrs() []string {
	var a []string
	for _, n := range s.sentinels {
		a = append(a, n.Addr())
	}
	return a
}

// MasterName is the name the Sentinels monitor the master as.
func (s *Sentinel) MasterName() string { return sentinelMaster }

// Servers are the data servers: the first master, then its replicas (as
// started; a failover changes who is master, not this order).
func (s *Sentinel) Servers() []*Server { return append([]*Server(nil), s.data...) }

// Sentinels are the Sentinel processes, in the order of Addrs.
func (s *Sentinel) Sentinels() []*Server { return append([]*Server(nil), s.sentinels...) }

// Close kills every server and Sentinel and, for a setup made by
// NewSentinel, deletes their data.
func (s *Sentinel) Close() {
	for _, n := range s.sentinels {
		n.Kill()
	}
	for _, n := range s.data {
		n.Kill()
	}
	if s.root != "" {
		_ = os.RemoveAll(s.root)
	}
}

// Master returns the server that a majority of the Sentinels name as the
// master now.
func (s *Sentinel) Master(ctx context.Context) (*Server, error) {
	votes := map[string]int{}
	var lastErr error = errors.New("no Sentinel answers")
	for _, sn := range s.sentinels {
		addr, err := s.masterAddr(ctx, sn)
		if err != nil {
			lastErr = err
			continue
		}
		votes[addr]++
		if votes[addr] > len(s.sentinels)/2 {
			if m := s.server(addr); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("redistest: the Sentinels name %s, not a server of this setup", addr)
		}
	}
	return nil, fmt.Errorf("redistest: no majority of the Sentinels names a master (%v; last error: %v)", votes, lastErr)
}

// WaitFailover waits until every running Sentinel names a master other
// than old (a master that was killed, stopped or paused), and that server
// runs as a master; it returns that server. Without a deadline in ctx it
// waits at most a minute.
func (s *Sentinel) WaitFailover(ctx context.Context, old *Server) (*Server, error) {
	var next *Server
	err := waitFor(ctx, "no failover from "+old.Addr(), func(ctx context.Context) error {
		next = nil
		for _, sn := range s.sentinels {
			if !sn.Running() {
				continue
			}
			addr, err := s.masterAddr(ctx, sn)
			if err != nil {
				return err
			}
			if addr == old.Addr() {
				return fmt.Errorf("Sentinel %s still names %s", sn.Addr(), addr)
			}
			m := s.server(addr)
			if m == nil || (next != nil && m != next) {
				return fmt.Errorf("the Sentinels disagree (%s)", addr)
			}
			next = m
		}
		if next == nil {
			return errors.New("no Sentinel is running")
		}
		return roleIs(ctx, next, "master")
	})
	return next, err
}

// Rejoin restarts old, a master that failed over, as a replica of the
// current master, and waits until the setup is healthy (WaitHealthy).
// Restart alone brings it back as the master it was, with its old data,
// until the Sentinels make it a replica: they take 10 to 20 seconds for it.
// Rejoin does what they would do, at once.
func (s *Sentinel) Rejoin(ctx context.Context, old *Server) error {
	m, err := s.Master(ctx)
	if err != nil {
		return err
	}
	if m == old {
		return fmt.Errorf("redistest: %s is still the master", old.Addr())
	}
	if err := old.Restart(); err != nil {
		return err
	}
	rdb := old.client()
	defer rdb.Close()
	if err := rdb.Do(ctx, "replicaof", "127.0.0.1", strconv.Itoa(m.port)).Err(); err != nil {
		return fmt.Errorf("redistest: REPLICAOF: %w", err)
	}
	return s.WaitHealthy(ctx)
}

// WaitHealthy waits until the setup has settled: every running Sentinel
// names the same running master, sees it up, and knows every other
// running Sentinel and every running replica; every running replica
// replicates from that master with its link up. Without a deadline in ctx
// it waits at most a minute.
func (s *Sentinel) WaitHealthy(ctx context.Context) error {
	return waitFor(ctx, "Sentinel setup not healthy", s.healthy)
}

func (s *Sentinel) healthy(ctx context.Context) error {
	var running []*Server
	for _, sn := range s.sentinels {
		if sn.Running() {
			running = append(running, sn)
		}
	}
	if len(running) == 0 {
		return errors.New("no Sentinel is running")
	}
	var master *Server
	for _, sn := range running {
		addr, err := s.masterAddr(ctx, sn)
		if err != nil {
			return err
		}
		m := s.server(addr)
		if m == nil || !m.Running() || (master != nil && m != master) {
			return fmt.Errorf("Sentinel %s names %s", sn.Addr(), addr)
		}
		master = m
		rdb := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		err = func() error {
			defer rdb.Close()
			state, err := rdb.Master(ctx, sentinelMaster).Result()
			if err != nil {
				return err
			}
			if state["flags"] != "master" {
				return fmt.Errorf("Sentinel %s sees the master as %s", sn.Addr(), state["flags"])
			}
			if state["num-other-sentinels"] != strconv.Itoa(len(running)-1) {
				return fmt.Errorf("Sentinel %s knows %s other Sentinels", sn.Addr(), state["num-other-sentinels"])
			}
			replicas, err := rdb.Replicas(ctx, sentinelMaster).Result()
			if err != nil {
				return err
			}
			for _, d := range s.data {
				if d == m || !d.Running() {
					continue
				}
				known := false
				for _, r := range replicas {
					if r["ip"]+":"+r["port"] == d.Addr() && r["flags"] == "slave" && r["master-link-status"] == "ok" {
						known = true
					}
				}
				if !known {
					return fmt.Errorf("Sentinel %s does not see replica %s up", sn.Addr(), d.Addr())
				}
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	if err := roleIs(ctx, master, "master"); err != nil {
		return err
	}
	return s.replicasLinked(ctx, master)
}

// replicasLinked checks that every running data server but master
// replicates from master with its link up.
func (s *Sentinel) replicasLinked(ctx context.Context, master *Server) error {
	for _, d := range s.data {
		if d == master || !d.Running() {
			continue
		}
		rdb := d.client()
		info, err := rdb.Info(ctx, "replication").Result()
		_ = rdb.Close()
		if err != nil {
			return err
		}
		if infoField(info, "role") != "slave" || infoField(info, "master_port") != strconv.Itoa(master.port) ||
			infoField(info, "master_link_status") != "up" {
			return fmt.Errorf("%s does not replicate from %s yet", d.Addr(), master.Addr())
		}
	}
	return nil
}

// masterAddr asks Sentinel sn for the master's address.
func (s *Sentinel) masterAddr(ctx context.Context, sn *Server) (string, error) {
	rdb := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer rdb.Close()
	a, err := rdb.GetMasterAddrByName(ctx, sentinelMaster).Result()
	if err != nil {
		return "", fmt.Errorf("Sentinel %s: %w", sn.Addr(), err)
	}
	if len(a) != 2 {
		return "", fmt.Errorf("Sentinel %s answers %q", sn.Addr(), a)
	}
	return a[0] + ":" + a[1], nil
}

// server is the data server at addr, or nil.
func (s *Sentinel) server(addr string) *Server {
	for _, d := range s.data {
		if d.Addr() == addr {
			return d
		}
	}
	return nil
}

// roleIs checks a server's replication role ("master" or "slave").
func roleIs(ctx context.Context, n *Server, role string) error {
	rdb := n.client()
	defer rdb.Close()
	info, err := rdb.Info(ctx, "replication").Result()
	if err != nil {
		return err
	}
	if got := infoField(info, "role"); got != role {
		return fmt.Errorf("%s is a %s, not a %s", n.Addr(), got, role)
	}
	return nil
}
