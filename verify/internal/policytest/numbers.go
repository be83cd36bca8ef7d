package policytest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// numberRules: a premium-rate number and an sms to a fixed line are refused
// before any provider request; voice to the fixed line is sent; a country
// allow-list refuses the rest; a safe-listed number passes the send limits.
func numberRules(t *testing.T, newStores NewStores) {
	ctx := context.Background()
	l := verify.Limits{Countries: []string{"DE", "GB"}, SafeList: []string{"+4915112345678"},
		RecipientSends: verify.Rate{Count: 1, Per: 3600e9}, SendInterval: -1}
	w := newWorld(t, newStores, l, 0, otpkit.ProviderTryvox)
	refused := func(req *verify.SendRequest, rule verify.Rule) {
		t.Helper()
		before := len(w.srv.Requests())
		_, err := w.a.Send(ctx, req)
		var le *verify.LimitError
		require.ErrorAs(t, err, &le, "%s", rule)
		assert.Equal(t, rule, le.Rule)
		assert.Zero(t, le.RetryAfter, "never allowed")
		assert.Equal(t, before, len(w.srv.Requests()), "no provider request")
	}
	refused(&verify.SendRequest{To: "+499001234567"}, verify.RuleNumberType)            // premium rate
	refused(&verify.SendRequest{To: "030 123456", Region: "DE"}, verify.RuleNumberType) // fixed line, sms
	refused(&verify.SendRequest{To: "+33612345678"}, verify.RuleCountry)                // FR, not listed
	_, err := w.a.Send(ctx, &verify.SendRequest{To: "030 123456", Region: "DE", Channel: otpkit.ChannelVoice})
	require.NoError(t, err, "voice to a fixed line")
	for range 3 {
		_, err := w.b.Send(ctx, &verify.SendRequest{To: "0151 12345678", Region: "DE"})
		require.NoError(t, err, "a safe-listed number passes the send limits, in any spelling")
	}
	_, err = w.a.Send(ctx, &verify.SendRequest{To: "+447400123456"})
	require.NoError(t, err)
	_, err = w.b.Send(ctx, &verify.SendRequest{To: "07400 123456", Region: "GB"})
	var le *verify.LimitError
	require.ErrorAs(t, err, &le, "one recipient whatever its spelling")
	assert.Equal(t, verify.RuleRecipientSends, le.Rule)
}

// wouldRefuse counts the observer's would-refuse events.
type wouldRefuse struct {
	mu sync.Mutex
	n  map[verify.Rule]int
}

func (o *wouldRefuse) Observe(_ context.Context, e verify.Event) {
	if e.Kind != verify.EventWouldRefuse {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n[e.Rule]++
}

// pumping simulates SMS pumping: 2,000 sends to one prefix of France
// (never verified), then 2,000 spread over Italy, each send mixed with
// ordinary traffic to Germany and Britain of which 75 % is verified. The
// attack must be cut after at most the minimum sample + 10 of its sends,
// and no ordinary send refused; with Monitor nothing is refused and every
// attack send past the sample is reported.
func pumping(t *testing.T, newStores NewStores, monitor bool) {
	ctx := context.Background()
	off := verify.Rate{Count: -1}
	l := verify.Limits{SendInterval: -1, RecipientSends: off, IPSends: off, PrefixSends: off, Monitor: monitor}
	obs := &wouldRefuse{n: map[verify.Rule]int{}}
	w := newWorldWith(t, newStores, l, 0, obs, otpkit.ProviderTryvox)
	rnd := rand.New(rand.NewPCG(1, 2))
	ordinary, ordinaryRefused, ordinaryVerified := 0, 0, 0
	ordinarySend := func(i int) {
		to := fmt.Sprintf("+49151%08d", rnd.IntN(1e8))
		if i%2 == 1 {
			to = fmt.Sprintf("+447400%06d", rnd.IntN(1e6))
		}
		svc := w.a
		if i%2 == 1 {
			svc = w.b
		}
		sent, err := svc.Send(ctx, &verify.SendRequest{To: to})
		ordinary++
		if err != nil {
			ordinaryRefused++
			t.Errorf("ordinary send %d to %s refused: %v", i, to[:5], err)
			return
		}
		if rnd.IntN(4) < 3 {
			require.NoError(t, svc.Check(ctx, sent.Ref, w.code(t, sent, to)))
			ordinaryVerified++
		}
	}
	attack := func(phase string, number func() string, sample int) {
		allowed := 0
		for i := range 2000 {
			_, err := w.b.Send(ctx, &verify.SendRequest{To: number()})
			var le *verify.LimitError
			switch {
			case errors.As(err, &le):
				assert.Equal(t, verify.RuleConversion, le.Rule)
				assert.Positive(t, le.RetryAfter)
			default:
				// Past the rules. (With Monitor, the mock's Tryvox
				// refuses a number's sixth code within the hour, 429:
				// the provider's refusal, not the guard's.)
				allowed++
			}
			ordinarySend(i)
		}
		t.Logf("%s: %d of 2,000 attack sends allowed (minimum sample %d)", phase, allowed, sample)
		if monitor {
			assert.Equal(t, 2000, allowed, "Monitor refuses nothing")
		} else {
			assert.LessOrEqual(t, allowed, sample+10, "cut after at most the minimum sample + 10")
			assert.GreaterOrEqual(t, allowed, sample, "judged only once the sample is full")
		}
	}
	attack("one prefix of France", func() string { return fmt.Sprintf("+33612345%03d", rnd.IntN(1000)) }, 30)
	attack("spread over Italy", func() string { return fmt.Sprintf("+39%d%07d", 320+rnd.IntN(30), rnd.IntN(1e7)) }, 100)
	t.Logf("ordinary traffic: %d sends to Germany and Britain, %d verified (%.0f %%), %d refused; would-refuse events: %v",
		ordinary, ordinaryVerified, 100*float64(ordinaryVerified)/float64(ordinary), ordinaryRefused, obs.n)
	assert.Zero(t, ordinaryRefused, "no ordinary send refused")
	if monitor {
		assert.GreaterOrEqual(t, obs.n[verify.RuleConversion], 2*2000-30-100-20, "every would-be refusal reported")
	} else {
		assert.Zero(t, obs.n[verify.RuleConversion])
	}
}
