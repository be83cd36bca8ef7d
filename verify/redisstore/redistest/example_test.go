package redistest_test

import (
	"context"
	"log"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// In a test: a private Redis server, gone when the test ends.
func ExampleStart() {
	testStore := func(t *testing.T) {
		rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t, redistest.WithAOF())})
		defer rdb.Close()
		store, err := redisstore.Open(context.Background(), rdb)
		if err != nil {
			t.Fatal(err)
		}
		_ = store // a Guard on it, the app's handlers, …
	}
	_ = testStore
}

// In a test: a Sentinel failover while the app runs.
func ExampleStartSentinelServers() {
	testFailover := func(t *testing.T) {
		s := redistest.StartSentinelServers(t)
		rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: s.MasterName(), SentinelAddrs: s.Addrs()})
		defer rdb.Close()
		ctx := context.Background()
		old, err := s.Master(ctx)
		if err != nil {
			t.Fatal(err)
		}
		old.Kill() // SIGKILL, as a crash
		if _, err := s.WaitFailover(ctx, old); err != nil {
			t.Fatal(err)
		}
		// … the app's calls work again; then bring the old master back:
		if err := s.Rejoin(ctx, old); err != nil {
			t.Fatal(err)
		}
	}
	_ = testFailover
}

// In a package's TestMain: one Cluster (3 masters with a replica each)
// shared by its tests, since forming one takes a few seconds.
func ExampleNewCluster() {
	var shared *redistest.Cluster
	testMain := func(m *testing.M) {
		var err error
		if shared, err = redistest.NewCluster(3, redistest.WithReplicasPerMaster(1)); err != nil {
			log.Fatal(err) // or let the tests that need it skip, with redistest.Need
		}
		code := m.Run()
		shared.Close()
		os.Exit(code)
	}
	_ = testMain
}
