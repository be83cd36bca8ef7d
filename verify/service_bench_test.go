package verify_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// BenchmarkServiceCheck compares, side by side in one run, Service.Check of
// a right code over the mock with what it wraps: the provider's own check
// call plus one Guard round trip (AllowCheck; for LOX24, whose check is the
// Guard's, Guard.Check alone). Each iteration checks a fresh verification
// to a new number, all sent before the timer starts, so no limit
// interferes.
// The goal: service at most 1.10 times direct.
func BenchmarkServiceCheck(b *testing.B) {
	for _, name := range allProviders {
		b.Run(string(name)+"/service", func(b *testing.B) { benchService(b, name) })
		b.Run(string(name)+"/direct", func(b *testing.B) { benchDirect(b, name) })
	}
}

// benchNumber is the i-th number of a benchmark, one recipient each.
func benchNumber(i int) string { return fmt.Sprintf("+4915%09d", i) }

// pending is a code sent and not yet checked.
type pending struct{ to, id, code string }

func benchService(b *testing.B, name otpkit.Provider) {
	ctx := context.Background()
	srv, c := newMock(b)
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(openLimits))
	must(b, err)
	svc, err := verify.New(g, providerOf(name, c))
	must(b, err)
	sent := make([]pending, b.N)
	for i := range sent {
		s, err := svc.Send(ctx, &verify.SendRequest{To: benchNumber(i)})
		must(b, err)
		code, _ := srv.CodeFor(s.ProviderID)
		sent[i] = pending{id: s.Ref, code: code}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		must(b, svc.Check(ctx, sent[i].id, sent[i].code))
	}
}

func benchDirect(b *testing.B, name otpkit.Provider) {
	ctx := context.Background()
	srv, c := newMock(b)
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(openLimits))
	must(b, err)
	sent := make([]pending, b.N)
	for i := range sent {
		p := pending{to: benchNumber(i)}
		switch name {
		case otpkit.ProviderTryvox:
			v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: p.to, Channel: otpkit.ChannelSMS})
			must(b, err)
			p.id = v.ID
			p.code, _ = srv.CodeFor(p.id)
		case otpkit.ProviderDotdigital:
			st, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: p.to[1:]})
			must(b, err)
			p.id = st.RequestID
			p.code, _ = srv.CodeFor(p.id)
		default:
			p.code, err = g.Issue(ctx, p.to)
			must(b, err)
		}
		sent[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := sent[i]
		switch name {
		case otpkit.ProviderTryvox:
			must(b, g.AllowCheck(ctx, p.to))
			v, err := c.CheckCode(ctx, p.id, p.code)
			must(b, err)
			if v.Status != otpkit.VerificationApproved {
				b.Fatal(v.Status)
			}
		case otpkit.ProviderDotdigital:
			must(b, g.AllowCheck(ctx, p.to))
			st, err := c.ValidateCode(ctx, p.id, p.code)
			must(b, err)
			if st.Status != otpkit.CodeVerified {
				b.Fatal(st.Status)
			}
		default:
			must(b, g.Check(ctx, p.to, p.code))
		}
	}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
