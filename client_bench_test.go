package otpkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

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
// headers, check the status, decode.
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

// compare runs the plain call first, then otpkit's, as the sub-benchmarks
// impl=plain and impl=otpkit, so that benchstat -col /impl puts the plain
// call in the base column and prints otpkit's ratio to it.
func compare(b *testing.B, plain, viaOtpkit func(b *testing.B)) {
	b.Run("impl=plain", func(b *testing.B) {
		b.ReportAllocs()
		plain(b)
	})
	b.Run("impl=otpkit", func(b *testing.B) {
		b.ReportAllocs()
		viaOtpkit(b)
	})
}

// The per-call benchmarks. Reproduce the figures in BENCHMARKS.md with
//
//	go test -run XXX -bench 'GetStatus|CheckCode|CreateVerifyCode|ValidateCode' -benchmem -count 10 . | tee p.txt
//	benchstat -col /impl p.txt

func BenchmarkGetStatus(b *testing.B) {
	srv := cannedServer(b)
	compare(b, func(b *testing.B) {
		hc := plainClient()
		for b.Loop() {
			var env struct{ Data otpkit.Verification }
			plainCall(b, hc, http.MethodGet, srv.URL+"/v1/verify/ver_abc123", tryvoxHeaders, nil, &env)
		}
	}, func(b *testing.B) {
		c := benchClient(b, srv.URL)
		ctx := context.Background()
		for b.Loop() {
			if _, err := c.GetStatus(ctx, "ver_abc123"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCheckCode(b *testing.B) {
	srv := cannedServer(b)
	compare(b, func(b *testing.B) {
		hc := plainClient()
		body := map[string]string{"verification_id": "ver_abc123", "code": "123456"}
		for b.Loop() {
			var env struct{ Data otpkit.Verification }
			plainCall(b, hc, http.MethodPost, srv.URL+"/v1/verify/check", tryvoxHeaders, body, &env)
		}
	}, func(b *testing.B) {
		c := benchClient(b, srv.URL)
		ctx := context.Background()
		for b.Loop() {
			if _, err := c.CheckCode(ctx, "ver_abc123", "123456"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCreateVerifyCode(b *testing.B) {
	srv := cannedServer(b)
	req := validCreate()
	compare(b, func(b *testing.B) {
		hc := plainClient()
		for b.Loop() {
			var vc otpkit.VerifyCode
			plainCall(b, hc, http.MethodPost, srv.URL+"/verify_codes", lox24Headers, req, &vc)
		}
	}, func(b *testing.B) {
		c := benchClient(b, srv.URL)
		ctx := context.Background()
		for b.Loop() {
			if _, err := c.CreateVerifyCode(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkValidateCode(b *testing.B) {
	srv := cannedServer(b)
	compare(b, func(b *testing.B) {
		hc := plainClient()
		body := map[string]string{"code": "123456"}
		for b.Loop() {
			var st otpkit.CodeStatus
			plainCall(b, hc, http.MethodPut, srv.URL+"/WebApi/Verify/"+ddRequestID+"/validate", ddHeaders, body, &st)
		}
	}, func(b *testing.B) {
		c := benchClient(b, srv.URL)
		ctx := context.Background()
		for b.Loop() {
			if _, err := c.ValidateCode(ctx, ddRequestID, "123456"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
