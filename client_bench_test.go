package otpkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/otpkit/otpkit"
)

// The per-call benchmarks compare otpkit with the same request written by
// hand with net/http and encoding/json, against one in-process server that
// answers a canned body. BENCHMARKS.md has the figures and the command.

// cannedServer answers every request with the canned body for its path.
func cannedServer(b *testing.B) *httptest.Server {
	b.Helper()
	mux := http.NewServeMux()
	canned := func(status int, body string) http.HandlerFunc {
		raw := []byte(body)
		return func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(raw)
		}
	}
	mux.Handle("GET /v1/verify/{id}", canned(200, `{"data":`+tryvoxStatusExamples[2]+`}`))
	mux.Handle("POST /v1/verify/check", canned(200, `{"data":`+tryvoxCheckExample+`}`))
	mux.Handle("POST /verify_codes", canned(201, seedVerifyCode))
	mux.Handle("PUT /WebApi/Verify/{id}/validate", canned(200, codeStatusExamples[0]))
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv
}

func benchClient(b *testing.B, url string) *otpkit.Client {
	b.Helper()
	c, err := otpkit.NewClient(otpkit.WithBaseURL(url),
		otpkit.WithLOX24Token(testLOX24Token),
		otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
		otpkit.WithDotdigitalAuth(testDDUser, testDDPassword))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// plainClient is what a careful hand-written integration would use.
func plainClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

// plainCall is the hand-written baseline: encode, send with the provider's
// headers, check the status, decode into the integration's own struct.
func plainCall(b *testing.B, hc *http.Client, method, url string, header map[string]string, body, out any) {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			b.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Fatalf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body) // to EOF, so the connection is reused
}

var (
	tryvoxHeaders = map[string]string{"Authorization": "Bearer " + testTryvoxKey, "X-Tenant-ID": testTenant}
	lox24Headers  = map[string]string{"X-LOX24-AUTH-TOKEN": testLOX24Token}
	ddHeaders     = map[string]string{"Authorization": "Basic YXBpdXNlci1hYjEyOnA0c3N3MHJkLVMzQ1JFVA=="}
)

// perCall is one call of the per-call benchmarks, written both ways. Each
// function makes the call once and fails b on any error.
type perCall struct {
	name   string
	plain  func(b *testing.B, hc *http.Client, url string)
	otpkit func(b *testing.B, c *otpkit.Client)
}

// What a hand-written integration declares to decode the answers: the
// wire fields as they come (timestamps as numbers or strings), no decoders
// of its own.
type (
	plainVerification struct {
		ID          string `json:"verification_id"`
		To          string `json:"to"`
		Channel     string `json:"channel"`
		Status      string `json:"status"`
		Attempts    int    `json:"attempts"`
		MaxAttempts int    `json:"max_attempts"`
		CreatedAt   string `json:"created_at"`
		ExpiresAt   string `json:"expires_at"`
	}
	plainVerifyCode struct {
		ID              string  `json:"id"`
		UserID          int     `json:"user_id"`
		Phone           string  `json:"phone"`
		Code            *string `json:"code"`
		CodeLength      *int    `json:"code_length"`
		Lang            string  `json:"lang"`
		RoutingStrategy []struct {
			Channel    string `json:"channel"`
			TimeoutSec int    `json:"timeout_sec"`
			SenderID   string `json:"sender_id"`
			Template   string `json:"template"`
		} `json:"routing_strategy"`
		Status           int     `json:"status"`
		DeliveredChannel *string `json:"delivered_channel"`
		Cost             *int    `json:"cost"`
		Currency         *string `json:"currency"`
		Payload          *string `json:"payload"`
		CreatedAt        int64   `json:"created_at"`
		UpdatedAt        int64   `json:"updated_at"`
		History          []struct {
			ID          string  `json:"id"`
			Channel     string  `json:"channel"`
			Status      int     `json:"status"`
			ProcessedAt int64   `json:"processed_at"`
			ExternalID  *string `json:"external_id"`
		} `json:"history"`
		IsCodeDeleted bool `json:"is_code_deleted"`
	}
	plainCodeStatus struct {
		RequestID    string  `json:"requestId"`
		PhoneNumber  string  `json:"phoneNumber"`
		Status       string  `json:"status"`
		NumberStatus string  `json:"numberStatus"`
		Created      string  `json:"created"`
		Verified     *string `json:"verified"`
	}
)

var perCalls = []perCall{
	{"GetStatus", func(b *testing.B, hc *http.Client, url string) {
		var env struct{ Data plainVerification }
		plainCall(b, hc, http.MethodGet, url+"/v1/verify/ver_abc123", tryvoxHeaders, nil, &env)
	}, func(b *testing.B, c *otpkit.Client) {
		if _, err := c.GetStatus(context.Background(), "ver_abc123"); err != nil {
			b.Fatal(err)
		}
	}},
	{"CheckCode", func(b *testing.B, hc *http.Client, url string) {
		body := struct {
			VerificationID string `json:"verification_id"`
			Code           string `json:"code"`
		}{"ver_abc123", "123456"}
		var env struct{ Data plainVerification }
		plainCall(b, hc, http.MethodPost, url+"/v1/verify/check", tryvoxHeaders, body, &env)
	}, func(b *testing.B, c *otpkit.Client) {
		if _, err := c.CheckCode(context.Background(), "ver_abc123", "123456"); err != nil {
			b.Fatal(err)
		}
	}},
	{"CreateVerifyCode", func(b *testing.B, hc *http.Client, url string) {
		var vc plainVerifyCode
		plainCall(b, hc, http.MethodPost, url+"/verify_codes", lox24Headers, benchCreate, &vc)
	}, func(b *testing.B, c *otpkit.Client) {
		if _, err := c.CreateVerifyCode(context.Background(), benchCreate); err != nil {
			b.Fatal(err)
		}
	}},
	{"ValidateCode", func(b *testing.B, hc *http.Client, url string) {
		body := struct {
			Code string `json:"code"`
		}{"123456"}
		var st plainCodeStatus
		plainCall(b, hc, http.MethodPut, url+"/WebApi/Verify/"+ddRequestID+"/validate", ddHeaders, body, &st)
	}, func(b *testing.B, c *otpkit.Client) {
		if _, err := c.ValidateCode(context.Background(), ddRequestID, "123456"); err != nil {
			b.Fatal(err)
		}
	}},
}

var benchCreate = validCreate()

// The per-call benchmarks, BenchmarkGetStatus and the others, run the
// plain call, then otpkit's, as the sub-benchmarks impl=plain and
// impl=otpkit, so that benchstat -col /impl puts the plain call in the
// base column and prints otpkit's ratio to it:
//
//	go test -run XXX -bench 'GetStatus|CheckCode|CreateVerifyCode|ValidateCode' -benchmem -count 10 . | tee p.txt
//	benchstat -col /impl p.txt
//
// allocs/op counts the whole process, so it includes the in-process
// server's allocations; the difference between the two is the client's.

func BenchmarkGetStatus(b *testing.B)        { benchCall(b, "GetStatus") }
func BenchmarkCheckCode(b *testing.B)        { benchCall(b, "CheckCode") }
func BenchmarkCreateVerifyCode(b *testing.B) { benchCall(b, "CreateVerifyCode") }
func BenchmarkValidateCode(b *testing.B)     { benchCall(b, "ValidateCode") }

func benchCall(b *testing.B, name string) {
	srv := cannedServer(b)
	pc := findCall(b, name)
	b.Run("impl=plain", func(b *testing.B) {
		hc := plainClient()
		b.ReportAllocs()
		for b.Loop() {
			pc.plain(b, hc, srv.URL)
		}
	})
	b.Run("impl=otpkit", func(b *testing.B) {
		c := benchClient(b, srv.URL)
		b.ReportAllocs()
		for b.Loop() {
			pc.otpkit(b, c)
		}
	})
}

func findCall(b *testing.B, name string) perCall {
	for _, pc := range perCalls {
		if pc.name == name {
			return pc
		}
	}
	b.Fatalf("no call %s", name)
	return perCall{}
}

// BenchmarkOverhead measures the same four calls paired: every op makes
// the plain call and otpkit's, in turn (plain first in even ops, otpkit
// first in odd ones), and times each, so that load from other processes on
// a shared machine weighs on both alike. Reported, per call:
// plain-ns/call, otpkit-ns/call, their ratio otpkit/plain (goal: at most
// 1.15), and extra-allocs/call, otpkit's allocations minus the plain
// call's (goal: at most 15), counted with runtime.ReadMemStats around 200
// calls each way before the timed loop.
//
//	go test -run XXX -bench Overhead -count 10 . | tee o.txt
//	benchstat o.txt
func BenchmarkOverhead(b *testing.B) {
	srv := cannedServer(b)
	for _, pc := range perCalls {
		b.Run("call="+pc.name, func(b *testing.B) {
			hc := plainClient()
			c := benchClient(b, srv.URL)
			impls := [2]func(){
				func() { pc.plain(b, hc, srv.URL) },
				func() { pc.otpkit(b, c) },
			}
			const allocCalls = 200
			var allocs [2]uint64
			for k, call := range impls {
				call() // a connection, warm
				allocs[k] = countAllocs(allocCalls, call)
			}
			var took [2]time.Duration
			b.ResetTimer()
			for i := range b.N {
				for k := range 2 {
					impl := (k + i) % 2
					start := time.Now()
					impls[impl]()
					took[impl] += time.Since(start)
				}
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(float64(took[0].Nanoseconds())/n, "plain-ns/call")
			b.ReportMetric(float64(took[1].Nanoseconds())/n, "otpkit-ns/call")
			b.ReportMetric(float64(took[1])/float64(took[0]), "otpkit/plain")
			b.ReportMetric(float64(allocs[0])/allocCalls, "plain-allocs/call")
			b.ReportMetric((float64(allocs[1])-float64(allocs[0]))/allocCalls, "extra-allocs/call")
		})
	}
}

// countAllocs makes n calls with call and returns the allocations the
// process made meanwhile (the in-process server's included).
func countAllocs(n int, call func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		call()
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}
