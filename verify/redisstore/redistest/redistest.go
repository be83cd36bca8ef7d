// Package redistest starts real Redis servers for tests: a single server, a
// Redis Cluster, or a Sentinel setup, each on free loopback ports with its
// data in a temporary directory, stopped when the test ends. otpkit's own
// Redis tests use it; apps can use it for their integration tests of
// redisstore (or of anything else on Redis).
//
//	addr := redistest.Start(t)                     // one server
//	addrs := redistest.StartCluster(t, 3)          // a 3-master Cluster
//	sentinels, name := redistest.StartSentinel(t)  // 1 master, 1 replica, 3 Sentinels
//
// The Start functions return addresses; the StartServer, StartClusterServers
// and StartSentinelServers variants return handles to the processes, for
// tests of failures: kill a node (SIGKILL) and restart it, pause it, find the
// current master, wait for a failover. NewServer, NewCluster and NewSentinel
// start the same without a test, e.g. one Cluster shared by a package's
// tests from TestMain.
//
// It needs redis-server (Redis 6.2 or later) on the PATH. Without it, a test
// that needs Redis is skipped with a line saying how to install it (e.g.
// apt-get install redis-server, or brew install redis); with the
// environment variable CI=true it fails instead, so that CI never passes by
// skipping.
//
// Every server is a child of the test binary. On Linux it is also killed
// when the test binary dies (a panic, a -timeout), so none outlives its
// test; elsewhere a test binary killed before its cleanups leaves its
// servers running.
package redistest

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// howToInstall is the skip message.
const howToInstall = "redis-server is not on the PATH: install Redis (e.g. apt-get install redis-server, " +
	"or brew install redis) to run the Redis tests"

// patience bounds every wait of this package: a server that starts, a
// Cluster that forms, a failover. It is generous because tests run on busy
// machines; a healthy setup takes a fraction of it.
const patience = 60 * time.Second

// Need skips the test (or, with CI=true, fails it) when redis-server is not
// on the PATH. The Start functions call it; call it first in a test that
// needs Redis and does more before starting one.
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(howToInstall + " (CI=true: failing instead of skipping)")
	}
	t.Skip(howToInstall)
}

// Addr returns the address of a single Redis server for t: the value of the
// environment variable OTPKIT_REDIS_ADDR when it is set (a server the tests
// may write keys to; they do not flush it), else that of a server started
// for t with Start.
func Addr(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("OTPKIT_REDIS_ADDR"); a != "" {
		return a
	}
	return Start(t)
}

// Start starts a private redis-server for t on a free loopback port and
// returns its address (host:port). The server is killed and its data
// deleted when t ends.
func Start(t testing.TB, opts ...Option) string {
	t.Helper()
	return StartServer(t, opts...).Addr()
}

// StartServer is Start returning the server's handle, for tests that stop,
// kill or restart it.
func StartServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	Need(t)
	cfg := newConfig(opts)
	s, err := launch(t.TempDir(), kindServer, dataConf(cfg, kindServer, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a redis-server like StartServer, without a test: Close
// kills it and deletes its data.
func NewServer(opts ...Option) (*Server, error) {
	cfg := newConfig(opts)
	root, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	s, err := launch(root, kindServer, dataConf(cfg, kindServer, ""))
	if err != nil {
		_ = os.RemoveAll(root)
		return nil, err
	}
	s.root = root
	return s, nil
}
