package redisstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/paired"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// BenchmarkServiceCheckRedis is BenchmarkServiceCheckPaired of package
// verify on one Redis server: per op, one Service.Check of a right Tryvox
// code over the mock and one direct check (AllowCheck, then CheckCode), in
// alternating order, each timed on its own. Service.Check reads the ref with
// the recipient's failure budget in one script (verify.RefBudgetLoader), so
// both sides make one Redis round trip before CheckCode.
func BenchmarkServiceCheckRedis(b *testing.B) {
	ctx := context.Background()
	srv := mock.NewServer()
	b.Cleanup(srv.Close)
	c, err := srv.Client()
	if err != nil {
		b.Fatal(err)
	}
	off := verify.Rate{Count: -1}
	g, err := verify.NewGuard(redisstore.New(oneServer(b, redistest.Addr(b)), redisstore.WithPrefix(uniquePrefix())),
		verify.WithSecret(secret), verify.WithLimits(verify.Limits{SendInterval: -1, RecipientSends: off, IPSends: off, PrefixSends: off}))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := verify.New(g, verify.Tryvox(c))
	if err != nil {
		b.Fatal(err)
	}
	checks := [2][]func() error{make([]func() error, b.N), make([]func() error, b.N)}
	for i := 0; i < b.N; i++ {
		to := fmt.Sprintf("+4915%09d", 2*i)
		s, err := svc.Send(ctx, &verify.SendRequest{To: to})
		if err != nil {
			b.Fatal(err)
		}
		code, _ := srv.CodeFor(s.ProviderID)
		checks[0][i] = func() error { return svc.Check(ctx, s.Ref, code) }

		to2 := fmt.Sprintf("+4915%09d", 2*i+1)
		v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to2, Channel: otpkit.ChannelSMS})
		if err != nil {
			b.Fatal(err)
		}
		code2, _ := srv.CodeFor(v.ID)
		checks[1][i] = func() error {
			if err := g.AllowCheck(ctx, to2); err != nil {
				return err
			}
			_, err := c.CheckCode(ctx, v.ID, code2)
			return err
		}
	}
	paired.Run(b, [2]string{"service", "direct"}, checks)
}
