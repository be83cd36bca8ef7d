package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// BenchmarkOutboxLookups times one verification that reads its code from
// the mock's outbox by id or by recipient, on two mocks side by side: one
// whose outbox is empty (reset after every verification, untimed) and one
// whose outbox is full (mock.DefaultRingSize messages, from as many earlier
// starts, before the first op; each op then adds one and pushes the oldest
// out). The two alternate op by op, each going first every other op, so
// that load from elsewhere weighs on both alike. The goal: the full outbox
// costs at most 10 % of the flow rate (empty/full ≥ 0.9 in flow rate, i.e.
// full/empty ≤ 1.11 in time).
//
// One sub-benchmark per way of reading the code:
//
//   - lox24-CodeFor: CreateVerifyCode, the mock's CodeFor (a LOX24 code
//     is not in the outbox yet while its step runs: CodeFor looks the id up
//     there first), GetVerifyCode and Matches.
//   - tryvox-CodeFor: StartVerification, CodeFor, CheckCode.
//   - tryvox-messages-id: StartVerification, GET /_mock/messages?id=,
//     CheckCode.
//   - dotdigital-messages-to: SendCode, GET /_mock/messages?to=,
//     ValidateCode.
//   - dotdigital-LastCode: SendCode, LastCode, ValidateCode.
//
// Reported: full-ns/flow and empty-ns/flow (means), full/empty (ratio of
// the sums), the medians and p50-full/empty (a preemption lands in one
// flow and moves the sums, not the medians).
//
// Reproduce with
//
//	go test -run XXX -bench OutboxLookups -count 6 ./bench | tee x.txt
//	benchstat x.txt
func BenchmarkOutboxLookups(b *testing.B) {
	for _, f := range outboxFlows {
		b.Run(f.name, func(b *testing.B) {
			empty := newOutboxSide(b, 0)
			full := newOutboxSide(b, mock.DefaultRingSize)
			if n := full.srv.Stats().Messages; n != mock.DefaultRingSize {
				b.Fatalf("the full outbox holds %d messages", n)
			}
			sides := [2]*outboxSide{empty, full}
			first := int(recipients.Add(int64(2*b.N))) - 2*b.N
			var took [2]time.Duration
			each := [2][]time.Duration{make([]time.Duration, b.N), make([]time.Duration, b.N)}
			ctx := context.Background()
			runtime.GC()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range 2 {
					side := (k + i) % 2
					s := sides[side]
					start := time.Now()
					err := f.run(ctx, s, first+2*i+side)
					d := time.Since(start)
					if err != nil {
						b.Fatalf("%s outbox: %v", [2]string{"empty", "full"}[side], err)
					}
					took[side] += d
					each[side][i] = d
					if side == 0 {
						s.srv.Reset() // untimed: the empty side stays empty
					}
				}
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(float64(took[1].Nanoseconds())/n, "full-ns/flow")
			b.ReportMetric(float64(took[0].Nanoseconds())/n, "empty-ns/flow")
			b.ReportMetric(float64(took[1])/float64(took[0]), "full/empty")
			p50 := [2]time.Duration{median(each[0]), median(each[1])}
			b.ReportMetric(float64(p50[1].Nanoseconds()), "full-p50-ns/flow")
			b.ReportMetric(float64(p50[0].Nanoseconds()), "empty-p50-ns/flow")
			b.ReportMetric(float64(p50[1])/float64(p50[0]), "p50-full/empty")
		})
	}
}

// outboxSide is one mock of BenchmarkOutboxLookups, with an otpkit client
// and a plain HTTP client for its /_mock/ controls.
type outboxSide struct {
	srv    *mock.Server
	client *otpkit.Client
	http   *http.Client
}

// newOutboxSide starts a mock and fills its outbox with n messages from as
// many Tryvox starts, each to its own recipient, sent straight to the
// handler (no network) to keep the preparation short.
func newOutboxSide(b *testing.B, n int) *outboxSide {
	b.Helper()
	srv := mock.NewServer()
	b.Cleanup(srv.Close)
	for i := range n {
		body := `{"to":"` + phone("+49160", i) + `","channel":"sms"}`
		req := httptest.NewRequest(http.MethodPost, "/v1/verify/start", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+mock.TryvoxAPIKey)
		req.Header.Set("X-Tenant-ID", mock.TryvoxTenantID)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
			b.Fatalf("filling the outbox: start %d answered %d: %s", i, rec.Code, rec.Body)
		}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(tr.CloseIdleConnections)
	return &outboxSide{srv: srv, client: newClient(b, srv.URL), http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// messages is GET /_mock/messages?key=value: the last code listed.
func (s *outboxSide) messages(ctx context.Context, key, value string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL+"/_mock/messages?"+key+"="+url.QueryEscape(value), nil)
	if err != nil {
		return "", err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	var msgs []struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &msgs); err != nil || resp.StatusCode != http.StatusOK || len(msgs) == 0 {
		return "", fmt.Errorf("GET /_mock/messages?%s=: %d %.200s", key, resp.StatusCode, body)
	}
	return msgs[len(msgs)-1].Code, nil
}

// outboxFlow is one verification of BenchmarkOutboxLookups; n numbers its
// recipient.
type outboxFlow struct {
	name string
	run  func(ctx context.Context, s *outboxSide, n int) error
}

var outboxFlows = []outboxFlow{
	{"lox24-CodeFor", func(ctx context.Context, s *outboxSide, n int) error {
		vc, err := s.client.CreateVerifyCode(ctx, &otpkit.CreateVerifyCodeRequest{Phone: phone("+49151", n),
			RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}})
		if err != nil {
			return err
		}
		code, ok := s.srv.CodeFor(vc.ID)
		if !ok {
			return fmt.Errorf("CodeFor: no code for the verify code")
		}
		if vc, err = s.client.GetVerifyCode(ctx, vc.ID); err != nil {
			return err
		}
		if !vc.Matches(code) {
			return fmt.Errorf("get: the code does not match")
		}
		return nil
	}},
	{"tryvox-CodeFor", func(ctx context.Context, s *outboxSide, n int) error {
		return tryvoxFlow(ctx, s, n, func(id, _ string) (string, error) {
			code, ok := s.srv.CodeFor(id)
			if !ok {
				return "", fmt.Errorf("CodeFor: no code")
			}
			return code, nil
		})
	}},
	{"tryvox-messages-id", func(ctx context.Context, s *outboxSide, n int) error {
		return tryvoxFlow(ctx, s, n, func(id, _ string) (string, error) { return s.messages(ctx, "id", id) })
	}},
	{"dotdigital-messages-to", func(ctx context.Context, s *outboxSide, n int) error {
		return dotdigitalFlow(ctx, s, n, func(to string) (string, error) { return s.messages(ctx, "to", to) })
	}},
	{"dotdigital-LastCode", func(ctx context.Context, s *outboxSide, n int) error {
		return dotdigitalFlow(ctx, s, n, func(to string) (string, error) {
			code, ok := s.srv.LastCode(to)
			if !ok {
				return "", fmt.Errorf("LastCode: no code")
			}
			return code, nil
		})
	}},
}

func tryvoxFlow(ctx context.Context, s *outboxSide, n int, codeOf func(id, to string) (string, error)) error {
	to := phone("+49170", n)
	v, err := s.client.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to, Channel: otpkit.ChannelSMS})
	if err != nil {
		return err
	}
	code, err := codeOf(v.ID, to)
	if err != nil {
		return err
	}
	if v, err = s.client.CheckCode(ctx, v.ID, code); err != nil {
		return err
	}
	if v.Status != otpkit.VerificationApproved {
		return fmt.Errorf("check: status %q", v.Status)
	}
	return nil
}

func dotdigitalFlow(ctx context.Context, s *outboxSide, n int, codeOf func(to string) (string, error)) error {
	to := phone("44770", n)
	st, err := s.client.SendCode(ctx, &otpkit.SendCodeRequest{To: to})
	if err != nil {
		return err
	}
	code, err := codeOf(to)
	if err != nil {
		return err
	}
	if st, err = s.client.ValidateCode(ctx, st.RequestID, code); err != nil {
		return err
	}
	if st.Status != otpkit.CodeVerified {
		return fmt.Errorf("validate: status %q", st.Status)
	}
	return nil
}

// median is the median of d (which it sorts).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}
