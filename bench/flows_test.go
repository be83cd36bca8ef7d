package bench

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// A verification is what a test in CI does with each provider: ask for a
// code, read the code the user would have received, check it.
//
//   - Tryvox: StartVerification, the mock's LastCode, CheckCode (approved).
//   - dotdigital: SendCode, the mock's LastCode, ValidateCode (Verified).
//   - LOX24: CreateVerifyCode with a code we chose, GetVerifyCode, Matches.
//
// Each verification goes to a new recipient, so that Tryvox's limit of 5
// starts per recipient an hour never applies.

// codeSource returns the code delivered to recipient: the mock's LastCode,
// or for the ceiling the code of its canned answers.
type codeSource func(recipient string) (string, bool)

// flow is one provider's verification.
type flow struct {
	name string
	// verify runs verification number n with c.
	verify func(ctx context.Context, c *otpkit.Client, codes codeSource, n int) error
}

// lox24Code is the code every LOX24 flow chooses, so that the ceiling's
// canned GET answer (which carries the code) matches it too.
const lox24Code = "482913"

var flows = []flow{
	{"tryvox", func(ctx context.Context, c *otpkit.Client, codes codeSource, n int) error {
		to := phone("+49170", n)
		v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: to, Channel: otpkit.ChannelSMS})
		if err != nil {
			return err
		}
		code, ok := codes(to)
		if !ok {
			return fmt.Errorf("no code for %s", to)
		}
		v, err = c.CheckCode(ctx, v.ID, code)
		if err != nil {
			return err
		}
		if v.Status != otpkit.VerificationApproved {
			return fmt.Errorf("check: status %q", v.Status)
		}
		return nil
	}},
	{"dotdigital", func(ctx context.Context, c *otpkit.Client, codes codeSource, n int) error {
		to := phone("44770", n)
		st, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: to})
		if err != nil {
			return err
		}
		code, ok := codes(to)
		if !ok {
			return fmt.Errorf("no code for %s", to)
		}
		st, err = c.ValidateCode(ctx, st.RequestID, code)
		if err != nil {
			return err
		}
		if st.Status != otpkit.CodeVerified {
			return fmt.Errorf("validate: status %q", st.Status)
		}
		return nil
	}},
	{"lox24", func(ctx context.Context, c *otpkit.Client, _ codeSource, n int) error {
		vc, err := c.CreateVerifyCode(ctx, lox24Create(phone("+49151", n)))
		if err != nil {
			return err
		}
		vc, err = c.GetVerifyCode(ctx, vc.ID)
		if err != nil {
			return err
		}
		if !vc.Matches(lox24Code) {
			return fmt.Errorf("get: the code does not match")
		}
		return nil
	}},
}

func lox24Create(phone string) *otpkit.CreateVerifyCodeRequest {
	return &otpkit.CreateVerifyCodeRequest{Phone: phone, Code: lox24Code,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}}}
}

// phone is prefix followed by n as 8 digits: a distinct valid number for
// every n below 100,000,000.
func phone(prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+8)
	b = append(b, prefix...)
	d := strconv.Itoa(n % 100_000_000)
	for range 8 - len(d) {
		b = append(b, '0')
	}
	return string(append(b, d...))
}

// The routes the flows use, as ServeMux patterns, with the exact case the
// client sends.
var routes = []string{
	"POST /v1/verify/start",
	"POST /v1/verify/check",
	"POST /webapi/verify",
	"PUT /WebApi/Verify/{id}/validate",
	"POST /verify_codes",
	"GET /verify_codes/{id}",
}

// cannedAnswer is one recorded answer of the mock.
type cannedAnswer struct {
	status int
	header http.Header
	body   []byte
}

// ServeHTTP reads the request body, as the mock does, and writes the
// recorded answer: the same status, headers and bytes, with no work.
func (a *cannedAnswer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// ceiling is a handler that answers every route of the flows with the
// mock's own recorded answer, and the code those answers were for.
type ceiling struct {
	handler http.Handler
	codes   codeSource
}

var (
	ceilingOnce sync.Once
	ceilingVal  ceiling
	ceilingErr  error
)

// recordCeiling runs each flow once against a mock, records the mock's
// answer on every route, and returns a handler that replays them. The
// ceiling therefore writes byte for byte what the mock writes (ids and
// times aside), and its measured rate is what the machine's HTTP stack
// and the client allow with no mock at all.
func recordCeiling(tb testing.TB) ceiling {
	tb.Helper()
	ceilingOnce.Do(func() { ceilingVal, ceilingErr = buildCeiling() })
	if ceilingErr != nil {
		tb.Fatal(ceilingErr)
	}
	return ceilingVal
}

func buildCeiling() (ceiling, error) {
	patterns := http.NewServeMux()
	for _, p := range routes {
		patterns.Handle(p, http.NotFoundHandler())
	}
	h := mock.NewHandler()
	var mu sync.Mutex
	recorded := map[string]*cannedAnswer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := patterns.Handler(r)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		hdr := http.Header{}
		for _, k := range []string{"Content-Type", "X-Lox24-Request-Id"} {
			if v, ok := res.Header[k]; ok {
				hdr[k] = v
			}
		}
		mu.Lock()
		recorded[pattern] = &cannedAnswer{status: res.StatusCode, header: hdr, body: rec.Body.Bytes()}
		mu.Unlock()
		maps.Copy(w.Header(), res.Header)
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	c, err := otpkit.NewClient(otpkit.WithBaseURL(srv.URL),
		otpkit.WithLOX24Token(mock.LOX24Token),
		otpkit.WithTryvoxKey(mock.TryvoxAPIKey, mock.TryvoxTenantID),
		otpkit.WithDotdigitalAuth(mock.DotdigitalUsername, mock.DotdigitalPassword))
	if err != nil {
		return ceiling{}, err
	}
	defer c.CloseIdleConnections()
	// One flow each, recording the codes: they are the ones the canned
	// answers approve.
	codes := map[string]string{}
	for _, f := range flows {
		src := func(to string) (string, bool) {
			code, ok := h.LastCode(to)
			codes[f.name] = code
			return code, ok
		}
		if err := f.verify(context.Background(), c, src, 0); err != nil {
			return ceiling{}, fmt.Errorf("recording the %s flow: %w", f.name, err)
		}
	}
	mux := http.NewServeMux()
	for _, p := range routes {
		a := recorded[p]
		if a == nil {
			return ceiling{}, fmt.Errorf("no answer recorded for %s", p)
		}
		mux.Handle(p, a)
	}
	tryvox, dotdigital := codes["tryvox"], codes["dotdigital"]
	return ceiling{handler: mux, codes: func(to string) (string, bool) {
		if to != "" && to[0] == '+' {
			return tryvox, true
		}
		return dotdigital, true
	}}, nil
}

// newClient is an otpkit client for url with the mock's credentials and a
// connection pool that keeps a connection per concurrent caller (the
// default transport keeps 64 per host).
func newClient(tb testing.TB, url string) *otpkit.Client {
	tb.Helper()
	c, err := otpkit.NewClient(otpkit.WithBaseURL(url),
		otpkit.WithLOX24Token(mock.LOX24Token),
		otpkit.WithTryvoxKey(mock.TryvoxAPIKey, mock.TryvoxTenantID),
		otpkit.WithDotdigitalAuth(mock.DotdigitalUsername, mock.DotdigitalPassword))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.CloseIdleConnections)
	return c
}
