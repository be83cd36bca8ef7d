package bench

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/mock"
)

// live is how many verifications the memory benchmarks hold at once.
const live = 100_000

// memoryCase starts verifications of one provider by calling the
// handler directly, and knows how far to move the clock for all of them to
// be pruned.
type memoryCase struct {
	name string
	// request builds the start request for recipient n.
	request func(n int) *http.Request
	status  int
	// forget is how long after its start a verification is certainly
	// pruned: its lifetime plus the mock's retention.
	forget time.Duration
	// held counts the verifications the mock holds.
	held func(mock.Stats) int
}

var memoryCases = []memoryCase{
	{
		name: "tryvox",
		request: func(n int) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/v1/verify/start",
				strings.NewReader(`{"to":"`+phone("+49170", n)+`","channel":"sms"}`))
			r.Header.Set("Authorization", "Bearer "+mock.TryvoxAPIKey)
			r.Header.Set("X-Tenant-ID", mock.TryvoxTenantID)
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		status: http.StatusOK,
		forget: 10*time.Minute + time.Hour + time.Minute, // TTL, retention
		held:   func(s mock.Stats) int { return s.TryvoxVerifications + s.TryvoxRateWindows },
	},
	{
		name: "dotdigital",
		request: func(n int) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/webapi/verify",
				strings.NewReader(`{"to":"`+phone("44770", n)+`"}`))
			r.SetBasicAuth(mock.DotdigitalUsername, mock.DotdigitalPassword)
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		status: http.StatusAccepted,
		forget: 10*time.Minute + 24*time.Hour + time.Minute, // validity, retention
		held:   func(s mock.Stats) int { return s.DotdigitalCodes },
	},
	{
		name: "lox24",
		request: func(n int) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/verify_codes",
				strings.NewReader(`{"phone":"`+phone("+49151", n)+`","code":"`+lox24Code+
					`","routing_strategy":[{"channel":"sms"}]}`))
			r.Header.Set("X-LOX24-AUTH-TOKEN", mock.LOX24Token)
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		status: http.StatusCreated,
		forget: 24*time.Hour + time.Minute, // retention from creation
		held:   func(s mock.Stats) int { return s.LOX24Codes + s.LOX24Pending },
	},
}

// BenchmarkMemory measures the heap a live verification holds in the mock,
// and what is left once they expired and were pruned. Each op starts
// 100,000 verifications (each to its own recipient) by calling the
// Handler's ServeHTTP with an httptest.ResponseRecorder, so that no
// connection or server buffer is counted; then it moves the mock's clock
// past their lifetime and retention, which prunes them.
//
//   - live-B/verification: (heap with them live - heap of the fresh
//     Handler) / 100,000. This includes the outbox and the request log,
//     rings of 10,000 entries each that stay full after pruning.
//   - pruned-B: heap after pruning - heap of the fresh Handler: what a
//     long CI run keeps for ever (mostly the two full rings).
//
// The heap is runtime.MemStats.HeapAlloc after runtime.GC.
//
//	go test -run XXX -bench Memory -count 6 ./bench | tee m.txt
//	benchstat m.txt
func BenchmarkMemory(b *testing.B) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, mc := range memoryCases {
		b.Run("provider="+mc.name, func(b *testing.B) {
			var liveB, prunedB float64
			for b.Loop() {
				h := mock.NewHandler(mock.WithClock(start))
				base := heap()
				for n := range live {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, mc.request(n))
					if rec.Code != mc.status {
						b.Fatalf("%s start %d: status %d: %s", mc.name, n, rec.Code, rec.Body)
					}
				}
				full := heap()
				if got := mc.held(h.Stats()); got < live {
					b.Fatalf("the mock holds %d %s verifications, want %d", got, mc.name, live)
				}
				h.Advance(mc.forget) // prunes
				if got := mc.held(h.Stats()); got != 0 {
					b.Fatalf("after pruning the mock still holds %d %s verifications", got, mc.name)
				}
				pruned := heap()
				runtime.KeepAlive(h)
				liveB += float64(full-base) / live
				prunedB += float64(pruned) - float64(base)
			}
			b.ReportMetric(liveB/float64(b.N), "live-B/verification")
			b.ReportMetric(prunedB/float64(b.N), "pruned-B")
		})
	}
}

// heap is the live heap in bytes after a full collection.
func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
