package otpkit

import (
	"context"
	"fmt"
	"net/http/httptrace"
	"time"
)

// A read keeps Request.GetBody (see onceWrites), so net/http replays it on
// its own whenever an HTTP/2 server resets its stream with PROTOCOL_ERROR,
// refuses it, or sends GOAWAY. One such replay is what those errors are
// for. But a PROTOCOL_ERROR reset also retires the connection, and
// net/http's outer retry loop, which dials a new one, has no counter: against
// a server that resets every stream it replays a GET several hundred times a
// second until the call's deadline.
//
// replayBound counts, through an httptrace.ClientTrace, the requests one
// attempt sends (GotConn runs once before each, on the caller's goroutine,
// for HTTP/1 and HTTP/2, and for any http.Transport behind a user's
// middleware). The first immediateRequests go as net/http sends them; each
// later one is one of the call's retries: it waits the retry policy's
// backoff, and when the retries are used up the call stops with an error.
// The requests that reach the server per call are thus at most
// immediateRequests × (1 + MaxRetries) + MaxRetries, plus one net/http
// may still send as the call ends.
type replayBound struct {
	client  *Client
	cancel  context.CancelFunc // ends the call
	trace   httptrace.ClientTrace
	attempt int // the callState.attempts the count is for
	sent    int // requests sent in this attempt
	retries int // replays that counted as retries
	cut     int // when the call was stopped: the requests of its last attempt
}

// immediateRequests is how many requests an attempt sends before replays
// wait: the first one and net/http's own replay of it.
const immediateRequests = 2

// boundReplays installs the replay bound on s, a read's state, and returns
// the context for its requests. cancel ends the call. It costs two
// allocations (the hook and the trace's context value).
func (s *callState) boundReplays(c *Client, cancel context.CancelFunc) context.Context {
	s.replays.client, s.replays.cancel = c, cancel
	s.replays.trace.GotConn = s.gotConn
	return httptrace.WithClientTrace(s, &s.replays.trace)
}

// gotConn runs before each request the transport sends for the call.
func (s *callState) gotConn(httptrace.GotConnInfo) {
	b := &s.replays
	if b.attempt != s.attempts { // a new attempt of retryablehttp's
		b.attempt, b.sent = s.attempts, 0
	}
	b.sent++
	if b.sent <= immediateRequests || b.cut > 0 {
		return
	}
	retry := s.attempts + b.retries // retries the call has used
	p := b.client.retry
	if retry >= p.MaxRetries {
		b.cut = b.sent - 1 // the requests that got no answer
		b.cancel()         // net/http stops replaying; transportError reports the cut
		return
	}
	b.retries++
	t := time.NewTimer(b.client.backoff(p.MinWait, p.MaxWait, retry, nil))
	select {
	case <-t.C:
	case <-s.Done():
		t.Stop()
	}
}

// cutError says why the call stopped: the server ended every request of
// the attempt without an answer.
func (b *replayBound) cutError() error {
	return fmt.Errorf("the server ended %d requests in a row without an answer (a reset or refused stream, or a closed connection), and the retries are used up", b.cut)
}
