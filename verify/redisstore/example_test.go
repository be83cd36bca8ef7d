package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
)

// A Guard shared by every instance of an app through Redis. The secret must
// be the same 32 or more random bytes on every instance.
func ExampleNew() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"localhost:6379"}})
	defer rdb.Close()
	secret := []byte("32 random bytes from your secret store!") // e.g. read from a vault
	g, err := verify.NewGuard(redisstore.New(rdb), verify.WithSecret(secret))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := g.AllowSend(ctx, "+4917012345678", "198.51.100.7"); err != nil {
		var le *verify.LimitError
		if errors.As(err, &le) {
			fmt.Println("refused:", le.Rule, le.RetryAfter)
			return
		}
		log.Print(err) // Redis failed: fail closed, send nothing
		return
	}
	code, err := g.Issue(ctx, "+4917012345678")
	if err != nil {
		log.Print(err)
		return
	}
	_ = code // deliver it, e.g. with LOX24's CreateVerifyCode and IsCodeDeleted
}
