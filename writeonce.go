package otpkit

import (
	"net/http"
	"strings"
)

// onceWrites is the RoundTripper every attempt goes through, in front of
// whatever transport the Client uses. For a write it drops
// Request.GetBody, which retryablehttp sets on every request with a body:
// Go's HTTP/2 clients use GetBody to replay, on a fresh connection, a
// request whose stream the server reset after it read the request, and such
// a replay would send a message or spend an attempt a second time. Without
// GetBody a transport can only resend a body it never started to send.
// Reads (GET, HEAD) keep it: a replayed read does no harm (replaybound.go
// bounds how often).
type onceWrites struct{ next http.RoundTripper }

// RoundTrip sends req through the wrapped transport.
func (o onceWrites) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody == nil || req.Method == http.MethodGet || req.Method == http.MethodHead {
		return o.next.RoundTrip(req)
	}
	r := *req // a RoundTripper must not modify the caller's request
	r.GetBody = nil
	resp, err := o.next.RoundTrip(&r)
	if err != nil {
		err = replayRefused(err)
	}
	return resp, err
}

// replayRefused turns the error of an HTTP/2 transport that would have
// replayed a write (and could not, without GetBody) into a *sentError: net/http
// words it "cannot retry err [CAUSE] after Request.Body was written; define
// Request.GetBody to avoid this error", advice that is wrong here. Other
// errors pass unchanged.
func replayRefused(err error) error {
	const before, after = "cannot retry err [", "] after Request.Body was written"
	msg := err.Error()
	i, j := strings.Index(msg, before), strings.LastIndex(msg, after)
	if i < 0 || j < i+len(before) {
		return err
	}
	cause := msg[i+len(before) : j]
	return &sentError{cause: cause, unprocessed: unprocessedStream(cause), err: err}
}

// unprocessedStream reports whether an HTTP/2 stream error proves that the
// server did not process the request: it refused the stream
// (REFUSED_STREAM, RFC 9113 section 8.7), or its GOAWAY named a lower last
// stream id (net/http's "graceful shutdown GOAWAY" error is used for those
// streams only).
func unprocessedStream(cause string) bool {
	return strings.Contains(cause, "REFUSED_STREAM") || strings.Contains(cause, "graceful shutdown GOAWAY")
}

// sentError is an HTTP/2 failure of a write the transport would have sent
// again. When unprocessed the server provably did not act on it, and the
// client's own retry may send it again (see notSent); otherwise it may have
// acted, and the write is not sent again.
type sentError struct {
	cause       string // the HTTP/2 error, e.g. "stream error: stream ID 1; PROTOCOL_ERROR; received from peer"
	unprocessed bool
	err         error // net/http's error
}

func (e *sentError) Error() string {
	if e.unprocessed {
		return e.cause + " (the server did not process the request)"
	}
	return e.cause + " (after the request was sent; a write is not sent again)"
}

// Unwrap returns net/http's error.
func (e *sentError) Unwrap() error { return e.err }
