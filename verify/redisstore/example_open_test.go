package redisstore_test

import (
	"context"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
)

// The recommended client of one Redis server, checked by Open. With
// ContextTimeoutEnabled every call ends by its context's deadline, even
// when Redis stalls; ReadTimeout and WriteTimeout bound calls without one.
func ExampleOpen() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  "localhost:6379",
		ContextTimeoutEnabled: true,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
	})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	store, err := redisstore.Open(ctx, rdb) // refuses an evicting Redis, warns without AOF
	if err != nil {
		log.Fatal(err)
	}
	secret := []byte("32 random bytes from your secret store!") // the same on every instance
	g, err := verify.NewGuard(store, verify.WithSecret(secret))
	if err != nil {
		log.Fatal(err)
	}
	_ = g
}

// Sentinel: the client asks the Sentinels for the master named MasterName
// and follows a failover.
func ExampleOpen_sentinel() {
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            "mymaster",
		SentinelAddrs:         []string{"sentinel-1:26379", "sentinel-2:26379", "sentinel-3:26379"},
		ContextTimeoutEnabled: true,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
	})
	defer rdb.Close()
	store, err := redisstore.Open(context.Background(), rdb)
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}

// Cluster: a Cluster client (Open refuses a one-address client of a
// Cluster node). The store has the client reload its slot map after a
// connection error, so its calls reach a promoted replica within moments;
// a short ClusterStateReloadInterval does the same for the app's other
// calls on the client.
func ExampleOpen_cluster() {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                      []string{"redis-1:6379", "redis-2:6379", "redis-3:6379"},
		ContextTimeoutEnabled:      true,
		ReadTimeout:                time.Second,
		WriteTimeout:               time.Second,
		ClusterStateReloadInterval: 5 * time.Second,
	})
	defer rdb.Close()
	store, err := redisstore.Open(context.Background(), rdb)
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}
