package redisstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/redistest"
	"github.com/otpkit/otpkit/verify/redisstore"
)

// BenchmarkServiceCheckRedis is BenchmarkServiceCheck of package verify on
// one Redis server: Service.Check of a right Tryvox code over the mock
// against CheckCode plus one Guard round trip (AllowCheck), side by side.
// Service.Check adds the ref's GET before and its DEL after, two Redis round
// trips on loopback.
func BenchmarkServiceCheckRedis(b *testing.B) {
	addr := redistest.Addr(b)
	b.Run("service", func(b *testing.B) { benchRedis(b, addr, true) })
	b.Run("direct", func(b *testing.B) { benchRedis(b, addr, false) })
}

func benchRedis(b *testing.B, addr string, service bool) {
	ctx := context.Background()
	srv := mock.NewServer()
	b.Cleanup(srv.Close)
	c, err := srv.Client()
	if err != nil {
		b.Fatal(err)
	}
	off := verify.Rate{Count: -1}
	g, err := verify.NewGuard(redisstore.New(oneServer(b, addr), redisstore.WithPrefix(uniquePrefix())),
		verify.WithSecret(secret), verify.WithLimits(verify.Limits{SendInterval: -1, RecipientSends: off, IPSends: off, PrefixSends: off}))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := verify.New(g, verify.Tryvox(c))
	if err != nil {
		b.Fatal(err)
	}
	type pending struct{ to, id, code string }
	todo := make([]pending, b.N)
	for i := range todo {
		p := pending{to: fmt.Sprintf("+4915%09d", i)}
		if service {
			s, err := svc.Send(ctx, &verify.SendRequest{To: p.to})
			if err != nil {
				b.Fatal(err)
			}
			p.id = s.Ref
			p.code, _ = srv.CodeFor(s.ProviderID)
		} else {
			v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: p.to, Channel: otpkit.ChannelSMS})
			if err != nil {
				b.Fatal(err)
			}
			p.id = v.ID
			p.code, _ = srv.CodeFor(v.ID)
		}
		todo[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := todo[i]
		if service {
			if err := svc.Check(ctx, p.id, p.code); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if err := g.AllowCheck(ctx, p.to); err != nil {
			b.Fatal(err)
		}
		if _, err := c.CheckCode(ctx, p.id, p.code); err != nil {
			b.Fatal(err)
		}
	}
}
