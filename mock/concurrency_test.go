package mock

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// concurrently runs f(i) for i in [0, n) at once and waits for all.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

func tryvoxStartRaw(t *testing.T, h *Handler) (id, code string) {
	t.Helper()
	r := do(h, "POST", "/v1/verify/start", `{"to":"`+tvPhone+`","channel":"sms"}`, tryvoxAuth)
	require.Equal(t, 200, r.Status, string(r.Body))
	m, _ := h.LastMessage(tvPhone)
	return m.ID, m.Code
}

func tryvoxAttempts(t *testing.T, h *Handler, id string) (int, string) {
	t.Helper()
	r := do(h, "GET", "/v1/verify/"+id, "", tryvoxAuth)
	var env struct {
		Data struct {
			Attempts int
			Status   string
		}
	}
	require.NoError(t, json.Unmarshal(r.Body, &env))
	return env.Data.Attempts, env.Data.Status
}

func TestConcurrentWrongTryvoxChecksCountExactly(t *testing.T) {
	h := NewHandler(WithClock(t0))
	id, code := tryvoxStartRaw(t, h)
	var mu sync.Mutex
	statuses := map[int]int{}
	concurrently(100, func(int) {
		r := do(h, "POST", "/v1/verify/check", `{"verification_id":"`+id+`","code":"`+wrongCode(code)+`"}`, tryvoxAuth)
		mu.Lock()
		statuses[r.Status]++
		mu.Unlock()
	})
	assert.Equal(t, map[int]int{400: 4, 429: 96}, statuses, "4 wrong, the 5th locks, the rest are refused")
	attempts, status := tryvoxAttempts(t, h, id)
	assert.Equal(t, 5, attempts)
	assert.Equal(t, "failed", status)
}

func TestConcurrentCorrectTryvoxCheckWinsOrIsRefused(t *testing.T) {
	for round := 0; round < 20; round++ {
		h := NewHandler(WithClock(t0))
		id, code := tryvoxStartRaw(t, h)
		var mu sync.Mutex
		statuses := map[int]int{}
		right := 0
		concurrently(41, func(i int) {
			c := wrongCode(code)
			if i == 20 {
				c = code
			}
			r := do(h, "POST", "/v1/verify/check", `{"verification_id":"`+id+`","code":"`+c+`"}`, tryvoxAuth)
			mu.Lock()
			defer mu.Unlock()
			statuses[r.Status]++
			if i == 20 {
				right = r.Status
			}
		})
		attempts, status := tryvoxAttempts(t, h, id)
		switch right {
		case 200:
			assert.Equal(t, "approved", status)
			assert.Equal(t, 1, statuses[200])
			assert.Zero(t, statuses[429], "nothing locked a verification the right code approved")
			assert.LessOrEqual(t, statuses[400], 4)
			assert.Equal(t, statuses[400]+1, attempts)
			assert.Equal(t, 40-statuses[400], statuses[404], "checks after approval are not found")
		case 429:
			assert.Equal(t, "failed", status)
			assert.Equal(t, 5, attempts)
			assert.Zero(t, statuses[200])
			assert.Equal(t, 4, statuses[400])
		default:
			t.Fatalf("round %d: the right code got %d", round, right)
		}
	}
}

func TestConcurrentDotdigitalValidate(t *testing.T) {
	for round := 0; round < 10; round++ {
		h := NewHandler(WithClock(t0))
		r := do(h, "POST", "/webapi/verify", `{"to":"447123123456"}`, ddAuth)
		require.Equal(t, 202, r.Status)
		m, _ := h.LastMessage(ddPhone)
		var mu sync.Mutex
		states := map[string]int{}
		withRight := round%2 == 1
		concurrently(100, func(i int) {
			c := wrongCode(m.Code)
			if withRight && i == 50 {
				c = m.Code
			}
			r := do(h, "PUT", "/WebApi/Verify/"+m.ID+"/validate", `{"code":"`+c+`"}`, ddAuth)
			var st struct{ Status string }
			if r.Status == 200 {
				require.NoError(t, json.Unmarshal(r.Body, &st))
			} else {
				st.Status = fmt.Sprint(r.Status)
			}
			mu.Lock()
			states[st.Status]++
			mu.Unlock()
		})
		assert.Equal(t, 1, states["CodeVerified"]+states["CodeLocked"], "round %d: exactly one ends it: %v", round, states)
		assert.LessOrEqual(t, states["CodeNotVerified"], 4)
		if states["CodeLocked"] == 1 {
			assert.Equal(t, 4, states["CodeNotVerified"])
		}
		assert.Equal(t, 100, states["CodeVerified"]+states["CodeLocked"]+states["CodeNotVerified"]+states["204"])
		if !withRight {
			assert.Equal(t, map[string]int{"CodeNotVerified": 4, "CodeLocked": 1, "204": 95}, states)
		}
	}
}

// TestConcurrentClients runs every flow from 64 goroutines sharing one
// client over the network, for the race detector, and checks that the
// client reuses its connections.
func TestConcurrentClients(t *testing.T) {
	srv, c := newTest(t)
	concurrently(64, func(i int) {
		to := fmt.Sprintf("+49170%07d", i)
		v, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: to, Channel: otpkit.ChannelSMS})
		if !assert.NoError(t, err) {
			return
		}
		code, _ := srv.LastCode(to)
		_, err = c.CheckCode(ctx(t), v.ID, code)
		assert.NoError(t, err)
		_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: to, RoutingStrategy: smsOnly()})
		assert.NoError(t, err)
		srv.Advance(1)
		st, err := c.SendCode(ctx(t), &otpkit.SendCodeRequest{To: to[1:]})
		if assert.NoError(t, err) {
			_, err = c.ValidateCode(ctx(t), st.RequestID, "000000")
			assert.NoError(t, err)
		}
		_, err = c.ListVerifyCodes(ctx(t), nil)
		assert.NoError(t, err)
		_ = srv.Messages()
		_ = srv.Stats()
	})
	assert.Equal(t, 64*6, len(srv.Requests()))
	assert.Less(t, srv.Connections(), 64*6/2, "connections are reused (a few extra dials race under load)")
}
