package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/otpkit/otpkit/mock"
)

// shutdownTimeout bounds how long "otpkit mock" waits for requests in flight
// (an injected Delay fault, say) when it is asked to stop.
const shutdownTimeout = 5 * time.Second

func (c *cli) mock(args []string) error {
	fs := c.newFlags("mock", "[--addr HOST:PORT] [--allow-host NAME]... [--lox24-webhook URL]", `
Serve the mock of the LOX24, Tryvox and dotdigital APIs on one address, with its
controls under /_mock/ (messages, requests, clock, faults, outcomes, reset, health,
shutdown).

It first prints, one a line, the variables the provider commands read, for the
address it actually bound (port 0 picks a free one), in a form a shell can source:
  OTPKIT_BASE_URL=http://127.0.0.1:PORT
  LOX24_TOKEN=... TRYVOX_API_KEY=... TRYVOX_TENANT_ID=...
  DOTDIGITAL_USERNAME=... DOTDIGITAL_PASSWORD=...
Then it logs one line per request on stderr (method, path, status, duration; never
a header, a query or a body) until SIGINT, SIGTERM or POST /_mock/shutdown, and
exits 0. Build or install the binary rather than "go run" it: a signal sent to
"go run" does not reach the mock it started.

With --lox24-webhook it POSTs LOX24's verify_code.* webhook events to URL as the
verify codes are delivered, retrying failed deliveries (GET /_mock/webhooks lists
every attempt; POST /_mock/webhooks {"url":...} changes the URL).

The /_mock/ controls have no authentication: keep the mock on 127.0.0.1. On any
other address it prints a warning. They keep a browser out: every request but GET
needs "Content-Type: application/json" (even without a body; 415 otherwise), one
with an Origin header from another site is 403, and the mock answers only requests
whose Host is localhost, a loopback address, the address it was reached on, or a
name given with --allow-host (403 otherwise: a web page that rebinds its own name
to 127.0.0.1 cannot reach it). Behind a name, say http://mock:8080 from another
container, start it with --allow-host mock.

Example:
  otpkit mock --addr 127.0.0.1:0 > mock.env &
  until grep -q DOTDIGITAL_PASSWORD mock.env; do sleep 0.1; done
  set -a; . ./mock.env; set +a
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"advance":"11m"}' "$OTPKIT_BASE_URL/_mock/clock"`)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
	webhook := fs.String("lox24-webhook", "", "send LOX24 webhook events to this `URL`")
	var hosts hostList
	fs.Var(&hosts, "allow-host", "also answer requests for this host `NAME` (no port); repeat for more")
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	opts, err := webhookOptions(fs.cmd, *webhook)
	if err != nil {
		return err
	}
	if len(hosts) > 0 {
		opts = append(opts, mock.WithAllowedHosts(hosts...))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.cmd, err)
	}
	h := mock.NewHandler(opts...)
	defer deliverWebhooks(h)()
	return c.serveMock(ln, h)
}

// serveMock prints the environment for ln's address, serves h on ln until
// c.ctx is done, then shuts down gracefully.
func (c *cli) serveMock(ln net.Listener, h http.Handler) error {
	out := bufio.NewWriter(c.stdout)
	writeEnv(out, mockEnv(baseURL(ln.Addr())))
	// A pipeline reads these lines while the server runs: they must leave
	// this process now, not when it exits.
	if err := out.Flush(); err != nil {
		ln.Close()
		return fmt.Errorf("%s mock: writing the environment: %w", programName, err)
	}
	if f, ok := c.stdout.(interface{ Sync() error }); ok {
		_ = f.Sync() // a pipe or terminal cannot sync; nothing to do then
	}

	logger := log.New(c.stderr, "otpkit mock: ", log.Ltime|log.Lmicroseconds)
	srv := newMockServer(h, logger)
	logger.Printf("listening on %s", ln.Addr())
	if !loopback(ln.Addr()) {
		logger.Printf("warning: %s is reachable from other hosts, and the /_mock/ controls "+
			"(reset, faults, clock, messages with their codes) have no authentication; "+
			"listen on 127.0.0.1 unless the network is trusted", ln.Addr())
		logger.Print("requests must name the mock by an IP address of this host, localhost or an " +
			"--allow-host name in their Host header; others are refused with 403")
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	// POST /_mock/shutdown stops the mock like a signal does.
	var shutdownRequested <-chan struct{}
	if s, ok := h.(interface{ ShutdownRequested() <-chan struct{} }); ok {
		shutdownRequested = s.ShutdownRequested()
	}
	select {
	case err := <-served:
		return fmt.Errorf("%s mock: %w", programName, err)
	case <-c.ctx.Done():
	case <-shutdownRequested:
		logger.Print("shutdown requested over /_mock/shutdown")
	}
	logger.Print("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A request held by an injected Delay fault: a mock owes it no
		// answer, and a CI job's "kill; wait" should not fail because of it.
		logger.Printf("requests still running after %v: closing their connections", shutdownTimeout)
		err = srv.Close()
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("%s mock: shutting down: %w", programName, err)
	}
	logger.Print("stopped")
	return nil
}

// newMockServer is the standalone mock's server. A client gets 10 s to
// send its headers and 30 s for its whole request, and an idle connection
// stays open 2 minutes, so stalled clients cannot pile up connections.
// There is no write timeout: a Delay fault holds an answer as long as a
// test asks.
func newMockServer(h http.Handler, logger *log.Logger) *http.Server {
	return &http.Server{
		Handler:           logRequests(h, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          logger,
	}
}

// loopback reports whether addr is a loopback address, reachable from this
// host only.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// mockEnv is the environment the provider commands need to talk to a mock at
// base, in the order it is printed.
func mockEnv(base string) [][2]string {
	return [][2]string{
		{envBaseURL, base},
		{envLOX24, mock.LOX24Token},
		{envTryvoxKey, mock.TryvoxAPIKey},
		{envTryvoxTen, mock.TryvoxTenantID},
		{envDDUser, mock.DotdigitalUsername},
		{envDDPass, mock.DotdigitalPassword},
	}
}

// writeEnv prints NAME=value lines that sh, bash, "set -a; . file" and
// docker's --env-file all read the same.
func writeEnv(w io.Writer, vars [][2]string) {
	for _, kv := range vars {
		fmt.Fprintf(w, "%s=%s\n", kv[0], shellQuote(kv[1]))
	}
}

// shellQuote single-quotes s when a shell would otherwise split or expand it.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.,:/@%+=", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// baseURL is the URL clients use to reach a listener's address. A wildcard
// address (":0", "0.0.0.0:0") is reached over loopback.
func baseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// logRequests logs one line per request: method, path, status and duration.
// Never headers (credentials), the query (phone numbers) or bodies (codes).
func logRequests(next http.Handler, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		// "-" when no answer went out: the mock dropped the connection on
		// purpose (hijacked), or the client or a shutdown ended the request
		// while an injected delay held it.
		status := "-"
		if !rec.hijacked && (rec.status != 0 || r.Context().Err() == nil) {
			status = fmt.Sprint(rec.statusOr200())
		}
		logger.Printf("%s %s %s %s", r.Method, r.URL.EscapedPath(), status, time.Since(start).Round(time.Microsecond))
	})
}

// statusRecorder remembers the status a handler wrote. It passes Flush and
// Hijack through, since the mock drops connections by hijacking them.
type statusRecorder struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

// WriteHeader implements http.ResponseWriter, remembering the first status.
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter; a body without a status is 200.
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) statusOr200() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Flush implements http.Flusher.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("otpkit mock: the connection cannot be hijacked")
	}
	conn, rw, err := h.Hijack()
	if err == nil {
		r.hijacked = true
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
