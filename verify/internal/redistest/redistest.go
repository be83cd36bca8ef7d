// Package redistest starts real Redis servers for tests: one server, or a
// 3-master Cluster made with redis-cli --cluster create, on free loopback
// ports, stopped when the test ends.
//
// Without redis-server on the PATH the tests that need it are skipped with a
// line saying how to run them (install Redis, e.g. apt-get install
// redis-server, or set OTPKIT_REDIS_ADDR to a server they may flush keys
// of); with CI=true they fail instead, so CI never passes by skipping.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// howToRun is the skip message.
const howToRun = "redis-server is not on the PATH: install Redis (apt-get install redis-server) " +
	"or set OTPKIT_REDIS_ADDR=host:port to run the Redis tests"

// Need skips (or, under CI=true, fails) a test that needs redis-server and
// redis-cli when they are missing.
func Need(t testing.TB) {
	t.Helper()
	_, err := exec.LookPath("redis-server")
	if err == nil {
		_, err = exec.LookPath("redis-cli")
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(howToRun + " (CI=true: not skipping)")
	}
	t.Skip(howToRun)
}

// Addr returns the address of a single Redis server for t: OTPKIT_REDIS_ADDR
// when set, else a server started for t (stopped at its end).
func Addr(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("OTPKIT_REDIS_ADDR"); a != "" {
		return a
	}
	return Start(t).Addr()
}

// Server is a redis-server this package started, configured as Debian's
// package ships it (RDB save points, no append-only file): Stop (SIGTERM)
// saves the data, so Stop then Restart keeps every key with its TTL.
type Server struct {
	path    string
	dir     string
	port    int
	cluster bool
	mu      sync.Mutex
	cmd     *exec.Cmd
}

// Start starts a single redis-server for t, stopped at its end.
func Start(t testing.TB) *Server {
	t.Helper()
	Need(t)
	s, err := StartServer(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartServer starts a redis-server (a cluster node when cluster is true)
// on a free loopback port with its data in a new temporary directory. Stop
// it with Stop; Remove deletes its directory.
func StartServer(cluster bool) (*Server, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "otpkit-redis-")
	if err != nil {
		return nil, err
	}
	port, err := freePort(cluster)
	if err != nil {
		return nil, err
	}
	s := &Server{path: path, dir: dir, port: port, cluster: cluster}
	if err := s.Restart(); err != nil {
		s.Remove()
		return nil, err
	}
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Restart starts the server (again), on the same port with the same data,
// and waits until it answers.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	args := []string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "3600 1 300 100 60 10000", "--appendonly", "no",
		"--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
	}
	if s.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000")
	}
	cmd := exec.Command(s.path, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	out, err := os.OpenFile(s.dir+"/server.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: starting redis-server: %w", err)
	}
	s.cmd = cmd
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := rdb.Ping(context.Background()).Err()
		if err == nil || strings.Contains(err.Error(), "CLUSTERDOWN") {
			return nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(s.dir + "/server.log")
			return fmt.Errorf("redistest: redis-server on %s does not answer: %v\n%s", s.Addr(), err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then waits); its data stays for Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Remove stops the server and deletes its data.
func (s *Server) Remove() {
	s.Stop()
	_ = os.RemoveAll(s.dir)
}

// Cluster starts a 3-master Redis Cluster for t (stopped at its end) and
// returns its nodes' addresses once every slot is served.
func Cluster(t testing.TB) []string {
	t.Helper()
	Need(t)
	c, err := StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Remove)
	return c.Addrs()
}

// ClusterServers is a 3-master Cluster this package started.
type ClusterServers struct{ Nodes []*Server }

// Addrs are the nodes' addresses.
func (c *ClusterServers) Addrs() []string {
	var a []string
	for _, n := range c.Nodes {
		a = append(a, n.Addr())
	}
	return a
}

// Remove stops every node and deletes its data.
func (c *ClusterServers) Remove() {
	for _, n := range c.Nodes {
		n.Remove()
	}
}

// StartCluster starts 3 cluster nodes, joins them with redis-cli --cluster
// create (no replicas) and waits until every node serves every slot.
func StartCluster() (*ClusterServers, error) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, err
	}
	c := &ClusterServers{}
	for range 3 {
		n, err := StartServer(true)
		if err != nil {
			c.Remove()
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
	}
	addrs := c.Addrs()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		c.Remove()
		return nil, fmt.Errorf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range addrs {
		rdb := redis.NewClient(&redis.Options{Addr: a})
		for {
			info, err := rdb.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				rdb.Close()
				c.Remove()
				return nil, fmt.Errorf("redistest: cluster node %s not ready: %v %s", a, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rdb.Close()
	}
	return c, nil
}

// freePort returns a loopback port that is free; for a cluster node its bus
// port (port+10000) is free too.
func freePort(cluster bool) (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !cluster {
			return port, nil
		}
		if port+10000 > 65535 {
			continue
		}
		if bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000)); err == nil {
			bus.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("redistest: no free port")
}
