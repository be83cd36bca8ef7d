package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/paired"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// BenchmarkServiceCheckWrongRedis: per op, one Service.Check of a wrong
// Tryvox code over the mock on one Redis server, and its anchor: the
// provider call it wraps plus the one store round trip it needs (the
// Guard's RecordFailure, one EVALSHA that writes the recipient's failure,
// then CheckCode), in alternating order, each timed on its own.
// Service.Check reserves the attempt and the failure in one script before
// CheckCode and makes no call after a wrong code. Each op checks its own
// verification of its own recipient. The send rules and the conversion
// guard are off (its sends to Germany, never verified, would be refused
// after the 100th): the benchmark is about the check.
func BenchmarkServiceCheckWrongRedis(b *testing.B) { benchServiceCheck(b, false) }

// BenchmarkServiceCheckRightRedis is BenchmarkServiceCheckWrongRedis with
// the right code: Service.Check makes two round trips (the reservation
// before CheckCode, the settlement after it), so the anchor is
// RecordFailure, CheckCode, AllowCheck (two EVALSHAs around the call).
func BenchmarkServiceCheckRightRedis(b *testing.B) { benchServiceCheck(b, true) }

func benchServiceCheck(b *testing.B, right bool) {
	ctx := context.Background()
	srv := mock.NewServer()
	b.Cleanup(srv.Close)
	c, err := srv.Client()
	if err != nil {
		b.Fatal(err)
	}
	off := verify.Rate{Count: -1}
	g, err := verify.NewGuard(redisstore.New(oneServer(b, redistest.Addr(b)), redisstore.WithPrefix(uniquePrefix())),
		verify.WithSecret(secret), verify.WithLimits(verify.Limits{SendInterval: -1, RecipientSends: off, IPSends: off,
			PrefixSends: off, ConversionWindow: -1}))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := verify.New(g, verify.Tryvox(c))
	if err != nil {
		b.Fatal(err)
	}
	// expect turns the answer a side should give into nil.
	expect := func(err error) error {
		if right || !errors.Is(err, otpkit.ErrInvalidCode) {
			return err
		}
		return nil
	}
	input := func(code string) string {
		if right {
			return code
		}
		return wrongCode(code)
	}
	checks := [2][]func() error{make([]func() error, b.N), make([]func() error, b.N)}
	for i := 0; i < b.N; i++ {
		to := fmt.Sprintf("+4915%09d", 2*i)
		s, err := svc.Send(ctx, &verify.SendRequest{To: to})
		if err != nil {
			b.Fatal(err)
		}
		code, _ := srv.CodeFor(s.ProviderID)
		checks[0][i] = func() error { return expect(svc.Check(ctx, s.Ref, input(code))) }

		to2 := fmt.Sprintf("+4915%09d", 2*i+1)
		v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to2, Channel: otpkit.ChannelSMS})
		if err != nil {
			b.Fatal(err)
		}
		code2, _ := srv.CodeFor(v.ID)
		checks[1][i] = func() error {
			if err := g.RecordFailure(ctx, to2); err != nil {
				return err
			}
			_, err := c.CheckCode(ctx, v.ID, input(code2))
			if err = expect(err); err != nil || !right {
				return err
			}
			return g.AllowCheck(ctx, to2)
		}
	}
	paired.Run(b, [2]string{"service", "anchor"}, checks)
}
