package mock

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/otpkit/otpkit"
)

// Server is a Handler listening on 127.0.0.1 on a random port, for tests.
// It has every control of Handler (Advance, LastCode, InjectFault, ...).
// Close it when done, e.g. with t.Cleanup(srv.Close).
type Server struct {
	*Handler

	// URL is the server's base URL, http://127.0.0.1:<port>, to give
	// otpkit.WithBaseURL or any HTTP client.
	URL string

	ts    *httptest.Server
	conns atomic.Int64
}

// NewServer starts a Server configured by opts. Like NewHandler it panics
// when an option was given an unusable value.
func NewServer(opts ...Option) *Server {
	s := &Server{Handler: NewHandler(opts...)}
	s.ts = httptest.NewUnstartedServer(s.Handler)
	s.ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// Close ends injected delays still waiting, shuts the server down and waits
// for the requests in flight. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.Close()
}

// Client returns an otpkit client for this server: its base URL and the
// mock's (first configured) credentials of all three providers. opts are
// applied after those, so they can override any of them.
func (s *Server) Client(opts ...otpkit.Option) (*otpkit.Client, error) {
	cfg := &s.cfg
	all := append([]otpkit.Option{
		otpkit.WithBaseURL(s.URL),
		otpkit.WithLOX24Token(cfg.lox24Tokens[0]),
		otpkit.WithTryvoxKey(cfg.tryvoxCreds[0].key, cfg.tryvoxCreds[0].tenant),
		otpkit.WithDotdigitalAuth(cfg.dotdigitalCreds[0].user, cfg.dotdigitalCreds[0].password),
	}, opts...)
	return otpkit.NewClient(all...)
}

// Connections returns how many TCP connections the server has accepted so
// far, to check that a client reuses its connections.
func (s *Server) Connections() int { return int(s.conns.Load()) }
