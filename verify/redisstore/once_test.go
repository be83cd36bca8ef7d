package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore"
	"github.com/otpkit/otpkit/verify/redisstore/internal/faultproxy"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// A reply lost after Redis ran the command: the fault proxy lets the
// command through, drops its reply and closes the connection, and go-redis
// (default Options: MaxRetries 3) sends the command again on a new
// connection. Each decision must count once all the same, which the
// decisions that follow it show: the sends, attempts and failures left.

// cutProxy is a private server, a fault proxy in front of it, and a client
// of the proxy with go-redis's default retries.
func cutProxy(t *testing.T) (*faultproxy.Proxy, *redis.Client) {
	t.Helper()
	p := faultproxy.Start(t, redistest.Start(t))
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr()})
	t.Cleanup(func() { rdb.Close() })
	require.Equal(t, 3, rdb.Options().MaxRetries, "go-redis's default retries")
	return p, rdb
}

// cut runs call with the reply of its next EVALSHA dropped (n of them), and
// fails the test unless the proxy dropped them: the command ran, its
// caller never saw the answer. The scripts must be loaded already (a
// NOSCRIPT reply dropped would prove nothing).
func cut(t *testing.T, p *faultproxy.Proxy, n int, call func() error) error {
	t.Helper()
	before := p.Cuts()
	p.CutAfterReply(n, "evalsha")
	err := call()
	p.Heal()
	require.Equal(t, before+n, p.Cuts(), "the proxy dropped %d replies", n)
	return err
}

// warmGuard runs every Guard decision once on another recipient, so that
// Redis has every script (EVALSHA finds it).
func warmGuard(t *testing.T, g *verify.Guard) {
	t.Helper()
	ctx := context.Background()
	const warm = "+4917099999999"
	require.NoError(t, g.AllowSend(ctx, warm, "198.51.100.99"))
	code, err := g.Issue(ctx, warm)
	require.NoError(t, err)
	require.ErrorIs(t, g.Check(ctx, warm, wrongCode(code)), otpkit.ErrInvalidCode)
	require.NoError(t, g.Check(ctx, warm, code))
	require.NoError(t, g.Unlock(ctx, warm))
}

func TestCutReplyAllowSendCountsOnce(t *testing.T) {
	p, rdb := cutProxy(t)
	g := newGuard(t, redisstore.New(rdb), newClock(), verify.Limits{SendInterval: -1, ConversionWindow: -1,
		RecipientSends: verify.Rate{Count: 3, Per: time.Hour}, IPSends: verify.Rate{Count: 4, Per: time.Hour}})
	warmGuard(t, g)
	ctx := context.Background()
	const r, ip = "+4917012345678", "192.0.2.7"

	require.NoError(t, cut(t, p, 1, func() error { return g.AllowSend(ctx, r, ip) }),
		"the retry answers what the first run decided")
	// Counted once: 2 more sends of 3 for r, then 1 more of 4 for ip.
	require.NoError(t, g.AllowSend(ctx, r, ip), "send 2 of 3")
	require.NoError(t, g.AllowSend(ctx, r, ip), "send 3 of 3")
	var le *verify.LimitError
	require.ErrorAs(t, g.AllowSend(ctx, r, ip), &le)
	assert.Equal(t, verify.RuleRecipientSends, le.Rule)
	require.NoError(t, g.AllowSend(ctx, "+4917012345679", ip), "send 4 of 4 from ip")
	require.ErrorAs(t, g.AllowSend(ctx, "+4917012345670", ip), &le)
	assert.Equal(t, verify.RuleIPSends, le.Rule)
}

func TestCutReplyCheckCountsOnce(t *testing.T) {
	p, rdb := cutProxy(t)
	g := newGuard(t, redisstore.New(rdb), newClock(), verify.Limits{MaxAttempts: 5, MaxFailures: 3})
	warmGuard(t, g)
	ctx := context.Background()
	const r = "+4917012345678"

	t.Run("wrong code", func(t *testing.T) {
		code, err := g.Issue(ctx, r)
		require.NoError(t, err)
		var ice *verify.InvalidCodeError
		require.ErrorAs(t, cut(t, p, 1, func() error { return g.Check(ctx, r, wrongCode(code)) }), &ice)
		assert.Equal(t, 4, ice.AttemptsLeft, "one attempt of 5")
		require.ErrorAs(t, g.Check(ctx, r, wrongCode(code)), &ice)
		assert.Equal(t, 3, ice.AttemptsLeft, "two attempts of 5")
		// Two failures of the budget of 3: the right code still verifies.
		require.NoError(t, g.Check(ctx, r, code))

		// The third failure spends the budget.
		code, err = g.Issue(ctx, r)
		require.NoError(t, err)
		require.ErrorAs(t, g.Check(ctx, r, wrongCode(code)), &ice)
		var le *verify.LimitError
		require.ErrorAs(t, g.Check(ctx, r, code), &le)
		assert.Equal(t, verify.RuleFailures, le.Rule)
		require.NoError(t, g.Unlock(ctx, r))
	})

	t.Run("right code", func(t *testing.T) {
		code, err := g.Issue(ctx, r)
		require.NoError(t, err)
		require.NoError(t, cut(t, p, 1, func() error { return g.Check(ctx, r, code) }),
			"the retry still answers verified: the first run used the code up")
		require.ErrorIs(t, g.Check(ctx, r, code), otpkit.ErrNotFound, "used once, and only once")
	})
}

func TestCutReplyIssue(t *testing.T) {
	p, rdb := cutProxy(t)
	g := newGuard(t, redisstore.New(rdb), newClock(), verify.Limits{MaxAttempts: 2})
	warmGuard(t, g)
	ctx := context.Background()
	const r = "+4917012345678"
	old, err := g.Issue(ctx, r)
	require.NoError(t, err)
	var code string
	require.NoError(t, cut(t, p, 1, func() (err error) { code, err = g.Issue(ctx, r); return err }))
	require.ErrorIs(t, g.Check(ctx, r, old), otpkit.ErrInvalidCode, "the new code replaced the old one")
	require.NoError(t, g.Check(ctx, r, code), "the code the retried Issue returned is the live one")
}

// Service.Check of a provider's code: the reservation before the provider
// call (ReserveCheck: the ref's attempt and the recipient's failure) and
// the settlement after it, each with its reply dropped.
func TestCutReplyServiceCheckCountsOnce(t *testing.T) {
	p, rdb := cutProxy(t)
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	g := newGuard(t, redisstore.New(rdb, redisstore.WithPrefix(uniquePrefix())), newClock(),
		verify.Limits{MaxFailures: 3, SendInterval: -1})
	c, err := srv.Client()
	require.NoError(t, err)
	svc, err := verify.New(g, verify.Tryvox(c))
	require.NoError(t, err)
	ctx := context.Background()
	send := func(to string) (string, string) {
		sent, err := svc.Send(ctx, &verify.SendRequest{To: to})
		require.NoError(t, err)
		code, ok := srv.CodeFor(sent.ProviderID)
		require.True(t, ok)
		return sent.Ref, code
	}
	// Load the scripts: a wrong and a right code on another recipient.
	ref, code := send("+4917099999999")
	require.ErrorIs(t, svc.Check(ctx, ref, wrongCode(code)), otpkit.ErrInvalidCode)
	require.NoError(t, svc.Check(ctx, ref, code))

	const r = "+4917012345678"
	ref, code = send(r)
	asked := len(srv.Requests())
	require.ErrorIs(t, cut(t, p, 1, func() error { return svc.Check(ctx, ref, wrongCode(code)) }), otpkit.ErrInvalidCode)
	assert.Equal(t, asked+1, len(srv.Requests()), "the provider was asked once")
	require.ErrorIs(t, svc.Check(ctx, ref, wrongCode(code)), otpkit.ErrInvalidCode)
	// Two failures of 3: the right code still reaches the provider; its
	// reservation and its settlement both lose their reply.
	require.NoError(t, cut(t, p, 2, func() error { return svc.Check(ctx, ref, code) }))
	require.ErrorIs(t, svc.Check(ctx, ref, code), otpkit.ErrNotFound, "the ref is used up")
	require.NoError(t, g.AllowCheck(ctx, r), "2 failures of 3: the settlement gave the right code's back")

	// The third failure spends the budget: the next right code is refused
	// before the provider is asked.
	ref, code = send(r)
	require.ErrorIs(t, svc.Check(ctx, ref, wrongCode(code)), otpkit.ErrInvalidCode)
	asked = len(srv.Requests())
	var le *verify.LimitError
	require.ErrorAs(t, svc.Check(ctx, ref, code), &le)
	assert.Equal(t, verify.RuleFailures, le.Rule)
	assert.Equal(t, asked, len(srv.Requests()), "no provider call on a spent budget")
}

// The control: without an operation id, the same cut makes a plain INCR
// count twice, so the tests above can fail.
func TestCutReplyPlainCommandCountsTwice(t *testing.T) {
	p, rdb := cutProxy(t)
	ctx := context.Background()
	before := p.Cuts()
	p.CutAfterReply(1, "incr")
	n, err := rdb.Incr(ctx, "counter").Result()
	require.NoError(t, err)
	require.Equal(t, before+1, p.Cuts())
	assert.EqualValues(t, 2, n, "one INCR, retried after its reply was lost, counted twice")
	got, err := rdb.Get(ctx, "counter").Int()
	require.NoError(t, err)
	t.Logf("one INCR whose reply was lost: counter = %d", got)
	assert.Equal(t, 2, got)
}
