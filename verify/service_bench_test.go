package verify_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/paired"
)

// BenchmarkServiceCheck compares, side by side in one run, Service.Check of
// a right code over the mock with what it wraps plus one Guard round trip:
// AllowCheck, then the provider's own check call (for LOX24, whose check is
// the Guard's, Guard.Check). Each iteration checks a fresh verification
// to a new number, all sent before the timer starts, so no limit
// interferes.
// The goal: service at most 1.10 times direct.
func BenchmarkServiceCheck(b *testing.B) {
	for _, name := range allProviders {
		b.Run(string(name)+"/service", func(b *testing.B) { benchService(b, name) })
		b.Run(string(name)+"/direct", func(b *testing.B) { benchDirect(b, name) })
	}
}

// BenchmarkServiceCheckPaired is the goal's measurement: per op, one
// Service.Check and one direct check (AllowCheck plus the provider's check
// call, which for LOX24 is Guard.Check), in alternating order, on one mock and
// one Guard, each timed on its own, so that load from elsewhere weighs on
// both alike. It reports both and their ratio, service/direct.
func BenchmarkServiceCheckPaired(b *testing.B) {
	for _, name := range allProviders {
		b.Run("provider="+string(name), func(b *testing.B) {
			ctx := context.Background()
			srv, c := newMock(b)
			g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(openLimits))
			must(b, err)
			svc, err := verify.New(g, providerOf(name, c))
			must(b, err)
			checks := [2][]func() error{make([]func() error, b.N), make([]func() error, b.N)}
			for i := 0; i < b.N; i++ {
				checks[0][i] = prepareService(b, ctx, srv, svc, benchNumber(2*i))
				checks[1][i] = prepareDirect(b, ctx, srv, c, g, name, benchNumber(2*i+1))
			}
			paired.Run(b, [2]string{"service", "direct"}, checks)
		})
	}
}

// prepareService sends a code to to and returns its Check.
func prepareService(b *testing.B, ctx context.Context, srv interface{ CodeFor(string) (string, bool) }, svc *verify.Service, to string) func() error {
	s, err := svc.Send(ctx, &verify.SendRequest{To: to})
	must(b, err)
	code, _ := srv.CodeFor(s.ProviderID)
	return func() error { return svc.Check(ctx, s.Ref, code) }
}

// prepareDirect sends a code to to with the provider's own call (the Guard's
// Issue for LOX24) and returns its check: AllowCheck plus the provider's
// check call (Guard.Check for LOX24).
func prepareDirect(b *testing.B, ctx context.Context, srv interface{ CodeFor(string) (string, bool) },
	c *otpkit.Client, g *verify.Guard, name otpkit.Provider, to string) func() error {
	switch name {
	case otpkit.ProviderTryvox:
		v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to, Channel: otpkit.ChannelSMS})
		must(b, err)
		code, _ := srv.CodeFor(v.ID)
		return func() error {
			if err := g.AllowCheck(ctx, to); err != nil {
				return err
			}
			if v, err := c.CheckCode(ctx, v.ID, code); err != nil || v.Status != otpkit.VerificationApproved {
				return fmt.Errorf("CheckCode: %v, %v", v, err)
			}
			return nil
		}
	case otpkit.ProviderDotdigital:
		st, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: to[1:]})
		must(b, err)
		code, _ := srv.CodeFor(st.RequestID)
		return func() error {
			if err := g.AllowCheck(ctx, to); err != nil {
				return err
			}
			if st, err := c.ValidateCode(ctx, st.RequestID, code); err != nil || st.Status != otpkit.CodeVerified {
				return fmt.Errorf("ValidateCode: %v, %v", st, err)
			}
			return nil
		}
	}
	code, err := g.Issue(ctx, to)
	must(b, err)
	return func() error {
		if err := g.AllowCheck(ctx, to); err != nil {
			return err
		}
		return g.Check(ctx, to, code)
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
			must(b, g.AllowCheck(ctx, p.to))
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
