package mock

import (
	"net/http"
	"sync"
)

// shutdownSignal is closed once, by POST /_mock/shutdown. Its zero value is
// ready to use.
type shutdownSignal struct {
	mu   sync.Mutex
	ch   chan struct{}
	done bool
}

func (s *shutdownSignal) channel() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *shutdownSignal) fire() {
	ch := s.channel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		close(ch)
	}
}

// ShutdownRequested returns a channel that is closed once a client has
// sent POST /_mock/shutdown: the way a CI job that cannot signal the
// process (it started it with "go run", or in another container) ends a
// standalone mock. "otpkit mock" then shuts down gracefully and exits 0. The
// Handler itself keeps serving; whoever serves it decides what to do.
// A Server ignores the request (its test closes it). Reset does not reopen
// the channel.
func (h *Handler) ShutdownRequested() <-chan struct{} { return h.shutdown.channel() }

// controlShutdown answers POST /_mock/shutdown. The answer goes out before
// the server that listens on ShutdownRequested stops.
func (h *Handler) controlShutdown(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "POST") {
		return
	}
	h.shutdown.fire()
	writeControl(w, http.StatusOK, okBody)
}
