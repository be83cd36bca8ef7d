package redisstore_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/redistest"
	"github.com/otpkit/otpkit/verify/redisstore"
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
	var took [2]time.Duration
	each := [2][]time.Duration{make([]time.Duration, b.N), make([]time.Duration, b.N)}
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range 2 {
			side := (k + i) % 2
			start := time.Now()
			if err := checks[side][i](); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			took[side] += d
			each[side][i] = d
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(took[0].Nanoseconds())/n, "service-ns/check")
	b.ReportMetric(float64(took[1].Nanoseconds())/n, "direct-ns/check")
	b.ReportMetric(float64(took[0])/float64(took[1]), "service/direct")
	// Medians per check too: a preemption on the busy machine lands in one
	// check and moves the sums, not the medians.
	p50 := [2]time.Duration{median(each[0]), median(each[1])}
	b.ReportMetric(float64(p50[0].Nanoseconds()), "service-p50-ns/check")
	b.ReportMetric(float64(p50[1].Nanoseconds()), "direct-p50-ns/check")
	b.ReportMetric(float64(p50[0])/float64(p50[1]), "p50-service/direct")
}

// median is the median of d (which it sorts).
func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	if len(d) == 0 {
		return 0
	}
	return d[len(d)/2]
}
