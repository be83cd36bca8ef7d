// Package convbench times Guard.AllowSend with the conversion guard on
// against the same calls with it off, side by side (verify/internal/paired),
// on any store. Test support only.
package convbench

import (
	"context"
	"fmt"
	"testing"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/paired"
)

// Run makes two Guards on stores from newStore (a fresh one each), one with
// the conversion guard on (per country and per 8-digit prefix, minimum
// samples too large to refuse, so that every send is judged and counted)
// and one with it off, every other rule at its default (recipient 5, IP 20,
// prefix 50 an hour, the failure budget), and times one AllowSend on each
// per op: each to a new German number (1,000 prefixes in turn, so no
// default window refuses) from its own IP address.
func Run(b *testing.B, newStore func(b *testing.B) verify.Store) {
	ctx := context.Background()
	base := verify.Limits{ConversionMinPrefixSends: 1 << 30, ConversionMinCountrySends: 1 << 30}
	off := base
	off.ConversionWindow = -1
	guard := func(l verify.Limits) *verify.Guard {
		g, err := verify.NewGuard(newStore(b), verify.WithSecret([]byte("convbench: a secret of 32 bytes or more")),
			verify.WithLimits(l))
		if err != nil {
			b.Fatal(err)
		}
		return g
	}
	on, plain := guard(base), guard(off)
	ops := [2][]func() error{make([]func() error, b.N), make([]func() error, b.N)}
	for i := range b.N {
		to := fmt.Sprintf("+49151%03d%05d", i%1000, i/1000%100_000)
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		ops[0][i] = func() error { return on.AllowSend(ctx, to, ip) }
		ops[1][i] = func() error { return plain.AllowSend(ctx, to, ip) }
	}
	paired.Run(b, [2]string{"conversion", "without"}, ops)
}
