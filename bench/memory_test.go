package bench

import (
	"flag"
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

// keepLive makes BenchmarkMemory stop before the final pruning and keep
// the Handler, so that -memprofile (with -memprofilerate 64, read with
// -sample_index=inuse_space) shows what the live verifications hold.
var keepLive = flag.Bool("keeplive", false, "BenchmarkMemory: keep the live verifications for -memprofile (no pruned-B)")

// kept is the Handler -keeplive keeps reachable.
var kept *mock.Handler

// BenchmarkMemory measures the heap a live verification holds in the mock,
// and what is left once they expired and were pruned. It calls the
// Handler's ServeHTTP with an httptest.ResponseRecorder, so that no
// connection or server buffer is counted. Each op:
//
//  1. makes a Handler and reads the heap (base);
//  2. starts 10,000 verifications (DefaultRingSize: the outbox and the
//     request log are then full) and moves the mock's clock past their
//     lifetime and retention, which prunes them (floor: base plus the two
//     full rings, which are bounded and never pruned);
//  3. starts 100,000 verifications, each to its own recipient (full);
//  4. moves the clock past their lifetime and retention again (pruned).
//
// Reported:
//
//   - live-B/verification: (full - base) / 100,000, the rings included;
//   - rings-B: floor - base, what the full outbox and request log hold;
//   - pruned-B: pruned - floor, what 100,000 verifications leave behind
//     once pruned (0 is back at the baseline).
//
// The heap is runtime.MemStats.HeapAlloc after runtime.GC.
//
//	go test -run XXX -bench Memory -count 6 ./bench | tee m.txt
//	benchstat m.txt
//
// and the profile of what live verifications hold with
//
//	go test -run XXX -bench Memory/provider=tryvox -benchtime 1x -memprofile mem.out -memprofilerate 64 ./bench -args -keeplive
//	go tool pprof -sample_index=inuse_space -top mem.out
func BenchmarkMemory(b *testing.B) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, mc := range memoryCases {
		b.Run("provider="+mc.name, func(b *testing.B) {
			var liveB, ringsB, prunedB float64
			for b.Loop() {
				h := mock.NewHandler(mock.WithClock(start))
				base := heap()
				startAll(b, h, mc, 0, mock.DefaultRingSize)
				h.Advance(mc.forget)
				floor := heap()
				startAll(b, h, mc, mock.DefaultRingSize, live)
				full := heap()
				if got := mc.held(h.Stats()); got < live {
					b.Fatalf("the mock holds %d %s verifications, want %d", got, mc.name, live)
				}
				liveB += (float64(full) - float64(base)) / live
				ringsB += float64(floor) - float64(base)
				if *keepLive {
					kept = h
					continue
				}
				h.Advance(mc.forget)
				if got := mc.held(h.Stats()); got != 0 {
					b.Fatalf("after pruning the mock still holds %d %s verifications", got, mc.name)
				}
				pruned := heap()
				runtime.KeepAlive(h)
				prunedB += float64(pruned) - float64(floor)
			}
			n := float64(b.N)
			b.ReportMetric(liveB/n, "live-B/verification")
			b.ReportMetric(ringsB/n, "rings-B")
			if !*keepLive {
				b.ReportMetric(prunedB/n, "pruned-B")
			}
		})
	}
}

// startAll starts count verifications of mc, recipients first, first+1, ...
func startAll(b *testing.B, h *mock.Handler, mc memoryCase, first, count int) {
	b.Helper()
	for n := first; n < first+count; n++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, mc.request(n))
		if rec.Code != mc.status {
			b.Fatalf("%s start %d: status %d: %s", mc.name, n, rec.Code, rec.Body)
		}
	}
}

// heap is the live heap in bytes after a full collection.
func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
