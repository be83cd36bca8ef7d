package mock

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

func TestPruning(t *testing.T) {
	srv, c := newTest(t)
	for i := 0; i < 3; i++ {
		startSMS(t, c, fmt.Sprintf("+4917000000%02d", i))
	}
	dd1 := sendCode(t, c, &otpkit.SendCodeRequest{To: ddPhone})
	code, _ := srv.LastCode(ddPhone)
	sendCode(t, c, &otpkit.SendCodeRequest{To: "447000000001"})
	_, err := c.ValidateCode(ctx(t), dd1.RequestID, code)
	require.NoError(t, err)
	srv.SetOutcome(lox24Phone, otpkit.ChannelTelegram, OutcomeFailed)
	vc, err := c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelTelegram, TimeoutSec: 3600}, {Channel: otpkit.ChannelSMS}}})
	require.NoError(t, err)
	_, err = c.CreateVerifyCode(ctx(t), &otpkit.CreateVerifyCodeRequest{Phone: lox24Phone, RoutingStrategy: smsOnly()})
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		send(t, srv, "GET", "/verify_codes", nil, nil)
	}

	assert.Equal(t, Stats{LOX24Codes: 2, LOX24Pending: 2, LOX24IPRecords: 1, TryvoxVerifications: 3, TryvoxRateWindows: 3,
		DotdigitalCodes: 1, Messages: 5, Requests: 10}, srv.Stats(), "the validated dotdigital code is gone at once")

	srv.Advance(11 * time.Minute)
	s := srv.Stats()
	assert.Equal(t, 0, s.LOX24IPRecords, "bad-credential records end after their window")
	assert.Equal(t, 3, s.TryvoxVerifications, "expired verifications still answer GET for a while")
	assert.Equal(t, 1, s.DotdigitalCodes, "an expired code waits for its CodeExpired")
	assert.Equal(t, 1, s.LOX24Pending, "the telegram step waits an hour")

	srv.Advance(60 * time.Minute)
	s = srv.Stats()
	assert.Equal(t, 0, s.TryvoxVerifications, "forgotten an hour after expiry")
	assert.Equal(t, 0, s.TryvoxRateWindows)
	assert.Equal(t, 0, s.LOX24Pending)
	assert.Equal(t, 2, s.LOX24Codes)

	srv.Advance(24 * time.Hour)
	s = srv.Stats()
	assert.Equal(t, Stats{Messages: 7, Requests: 10}, s, "only the bounded rings remain")
	_, err = c.GetVerifyCode(ctx(t), vc.ID)
	assert.ErrorIs(t, err, otpkit.ErrNotFound)
	list, err := c.ListVerifyCodes(ctx(t), nil)
	require.NoError(t, err)
	assert.Empty(t, list)
}

func TestRingBounds(t *testing.T) {
	srv, c := newTest(t, WithMaxMessages(3), WithMaxRequests(2))
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, startSMS(t, c, fmt.Sprintf("+4917000000%02d", i)).ID)
	}
	msgs := srv.Messages()
	require.Len(t, msgs, 3)
	assert.Equal(t, ids[2:], []string{msgs[0].ID, msgs[1].ID, msgs[2].ID}, "the newest, oldest first")
	assert.Len(t, srv.Requests(), 2)
	_, ok := srv.LastCode("+491700000000")
	assert.False(t, ok, "fell out of the outbox")
}

func TestRing(t *testing.T) {
	r := newRing[int](3)
	assert.Empty(t, r.snapshot())
	for i := 1; i <= 7; i++ {
		r.push(i)
	}
	assert.Equal(t, []int{5, 6, 7}, r.snapshot())
	assert.Equal(t, 5, r.at(0))
	assert.Equal(t, 7, r.at(2))
	r.clear()
	assert.Equal(t, 0, r.len())

	var q queue[int]
	for i := 0; i < 200; i++ {
		q.push(i)
	}
	for i := 0; i < 150; i++ {
		require.Equal(t, i, q.pop())
	}
	assert.Equal(t, 50, q.len())
	assert.Equal(t, 150, q.front())
	assert.Equal(t, 199, q.at(49))
	assert.LessOrEqual(t, len(q.items), 100, "compacted")
}

// TestTryvoxMemoryPerVerification measures the heap one live verification
// costs, its outbox entry and request-log entry included.
func TestTryvoxMemoryPerVerification(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	const n = 5000 // under DefaultRingSize, so every start keeps its log and outbox entries
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"to":"+49170%07d","channel":"sms"}`, i)
	}
	h := NewHandler(WithClock(t0))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, b := range bodies {
		if r := do(h, "POST", "/v1/verify/start", b, tryvoxAuth); r.Status != 200 {
			t.Fatal(r.Status)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d bytes per live verification", per)
	assert.LessOrEqual(t, per, int64(1024))
	assert.Equal(t, n, h.Stats().TryvoxVerifications)
	runtime.KeepAlive(bodies)
}

// BenchmarkTryvoxFlowParallel runs start, status and check from 64
// goroutines straight through the handler (no network), so the numbers are
// the mock's own cost plus httptest's recorder.
func BenchmarkTryvoxFlowParallel(b *testing.B) {
	h := NewHandler(WithMaxMessages(1000), WithMaxRequests(1000))
	b.SetParallelism(max(64/runtime.GOMAXPROCS(0), 1))
	b.ReportAllocs()
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			to := fmt.Sprintf("+49170%08d", seq.Add(1))
			r := do(h, "POST", "/v1/verify/start", `{"to":"`+to+`","channel":"sms"}`, tryvoxAuth)
			if r.Status != 200 {
				b.Fatal(r.Status)
			}
			// Not LastMessage: with a small outbox and 64 goroutines, a slow
			// goroutine's message may already have been evicted.
			var env struct {
				Data struct {
					ID string `json:"verification_id"`
				}
			}
			if err := json.Unmarshal(r.Body, &env); err != nil {
				b.Fatal(err)
			}
			h.mu.Lock()
			code := h.st.tv.byID[env.Data.ID].code
			h.mu.Unlock()
			do(h, "GET", "/v1/verify/"+env.Data.ID, "", tryvoxAuth)
			if r := do(h, "POST", "/v1/verify/check", `{"verification_id":"`+env.Data.ID+`","code":"`+code+`"}`, tryvoxAuth); r.Status != 200 {
				b.Fatal(r.Status, string(r.Body))
			}
		}
	})
}
