package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/redisstore/redistest"
)

// orderHook records each command a client sends with the number of requests
// the mock had received by then, so that a test sees what went to Redis
// before and after the provider call.
type orderHook struct {
	srv  *mock.Server
	mu   sync.Mutex
	sent []string
}

func (h *orderHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *orderHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.mu.Lock()
		h.sent = append(h.sent, fmt.Sprintf("%s after %d provider requests", cmd.Name(), len(h.srv.Requests())))
		h.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (h *orderHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		for _, cmd := range cmds {
			h.sent = append(h.sent, "pipelined "+cmd.Name())
		}
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (h *orderHook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sent
	h.sent = nil
	return s
}

// On one server, Service.Check of a Tryvox or dotdigital code makes one
// Redis round trip, one EVALSHA (ReserveCheck: the ref's attempt and its
// recipient's failure, reserved at once), before the provider call; a wrong
// code none after it, a right code one more (SettleCheck gives the failure
// back and uses the ref up); a spent budget is that one EVALSHA and no
// provider call.
func TestServiceCheckOneRoundTripBeforeTheProvider(t *testing.T) {
	addr := redistest.Addr(t)
	for _, p := range []otpkit.Provider{otpkit.ProviderTryvox, otpkit.ProviderDotdigital} {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			srv := mock.NewServer()
			t.Cleanup(srv.Close)
			rdb, admin := oneServer(t, addr), oneServer(t, addr)
			hook := &orderHook{srv: srv}
			rdb.AddHook(hook)
			svc := instance(t, rdb, uniquePrefix(), srv, p)
			const phone, other = "+4917012345678", "+4917000000000"

			// Load the scripts (the first EVALSHA of each is answered
			// NOSCRIPT): a right code, and a wrong one (RecordFailure).
			warm, err := svc.Send(ctx, &verify.SendRequest{To: other})
			require.NoError(t, err)
			warmCode, ok := srv.CodeFor(warm.ProviderID)
			require.True(t, ok)
			require.ErrorIs(t, svc.Check(ctx, warm.Ref, wrongCode(warmCode)), otpkit.ErrInvalidCode)
			require.NoError(t, svc.Check(ctx, warm.Ref, warmCode))

			sent, err := svc.Send(ctx, &verify.SendRequest{To: phone})
			require.NoError(t, err)
			code, ok := srv.CodeFor(sent.ProviderID)
			require.True(t, ok)

			check := func(code string) ([]string, map[string]int, int, error) {
				require.NoError(t, admin.ConfigResetStat(ctx).Err())
				hook.take()
				before := len(srv.Requests())
				err := svc.Check(ctx, sent.Ref, code)
				return hook.take(), commandCalls(t, admin), len(srv.Requests()) - before, err
			}

			sentCmds, calls, asked, err := check(wrongCode(code))
			require.ErrorIs(t, err, otpkit.ErrInvalidCode)
			n := len(srv.Requests()) - 1
			assert.Equal(t, []string{fmt.Sprintf("evalsha after %d provider requests", n)}, sentCmds,
				"a wrong code: one EVALSHA, before the provider call, nothing after it")
			assert.Equal(t, 1, calls["evalsha"], "EVALSHA calls")
			assert.Equal(t, 1, asked, "one provider call")

			sentCmds, calls, asked, err = check(code)
			require.NoError(t, err)
			n = len(srv.Requests()) - 1
			assert.Equal(t, []string{fmt.Sprintf("evalsha after %d provider requests", n),
				fmt.Sprintf("evalsha after %d provider requests", n+1)}, sentCmds,
				"a right code: one EVALSHA before the provider call, one after")
			assert.Equal(t, 2, calls["evalsha"], "EVALSHA calls")
			assert.Zero(t, calls["eval"], "EVAL calls")
			// (commandstats also counts what the scripts ran; the hook
			// above shows the client sent nothing else.)
			assert.Equal(t, 1, asked, "one provider call")

			// Spend the budget (3 wrong codes, see instance), then the
			// right code of a new verification: one EVALSHA, no provider.
			sent, err = svc.Send(ctx, &verify.SendRequest{To: other})
			var le *verify.LimitError
			require.ErrorAs(t, err, &le, "the send interval of the warm-up")
			sent, err = svc.Send(ctx, &verify.SendRequest{To: "+4917000000001"})
			require.NoError(t, err)
			code, ok = srv.CodeFor(sent.ProviderID)
			require.True(t, ok)
			for range 3 {
				require.ErrorIs(t, svc.Check(ctx, sent.Ref, wrongCode(code)), otpkit.ErrInvalidCode)
			}
			sentCmds, calls, asked, err = check(code)
			require.ErrorAs(t, err, &le)
			assert.Equal(t, verify.RuleFailures, le.Rule)
			assert.Len(t, sentCmds, 1, "one command")
			assert.Equal(t, 1, calls["evalsha"], "EVALSHA calls")
			assert.Zero(t, asked, "no provider call")
		})
	}
}

// wrongCode is code with its first digit changed.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
