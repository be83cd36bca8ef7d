package otpkit

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"strings"
	"sync/atomic"
)

// onceWrites is the RoundTripper every attempt goes through, in front of
// whatever transport the Client uses. A write (anything but GET and HEAD)
// may be sent again by the transport only where that provably sends
// nothing twice:
//
//   - Over HTTP/2, never. Go's HTTP/2 clients call Request.GetBody, which
//     retryablehttp sets on every request with a body, to replay a request
//     on a fresh connection after the server reset its stream, possibly
//     after acting on it (a second message sent, a second attempt spent).
//   - Over HTTP/1, when nothing of the request was written: net/http's
//     HTTP/1 transport resends a POST on a fresh connection, through
//     GetBody, only when a kept-alive connection turned out dead before any
//     byte was written to it (it closed while idle: the server's or a load
//     balancer's idle timeout ran out first).
//
// So a write's GetBody is nil (the transport cannot resend) unless the
// host's last answer came over HTTP/1 (a stale kept-alive connection has
// by definition answered before); then it is (*callState).rewindBody,
// which gives the body again only to net/http's HTTP/1 rewind while no
// connection of the attempt spoke HTTP/2. HTTP/2 hosts keep a nil GetBody
// because net/http then tells why it could not replay (replayRefused),
// which says whether the server processed the stream; a GetBody that
// refuses hides that.
//
// net/http's HTTP/1 transport also resends a POST that carries an
// Idempotency-Key or X-Idempotency-Key header after the connection broke
// mid-answer: otpkit sends neither, and a middleware that adds one
// declares the request safe to replay.
//
// Reads keep GetBody: a replayed read does no harm (replaybound.go bounds
// how often).
type onceWrites struct{ next http.RoundTripper }

// RoundTrip sends req through the wrapped transport.
func (o onceWrites) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody == nil || req.Method == http.MethodGet || req.Method == http.MethodHead {
		return o.next.RoundTrip(req)
	}
	r := *req // a RoundTripper must not modify the caller's request
	r.GetBody = nil
	if s, _ := req.Context().Value(callStateKey{}).(*callState); s != nil && s.rewind.getBodyFn != nil {
		s.rewind.begin(req.GetBody)
		r.GetBody = s.rewind.getBodyFn
	}
	resp, err := o.next.RoundTrip(&r)
	if err != nil {
		err = replayRefused(err)
	}
	return resp, err
}

// hostProtocol remembers whether a host's last answer to the Client came
// over HTTP/1 (see onceWrites). Endpoints on one host share one.
type hostProtocol struct{ http1 atomic.Bool }

// isHTTP1 reports whether the host's last answer came over HTTP/1.
func (p *hostProtocol) isHTTP1() bool { return p != nil && p.http1.Load() }

// set records the protocol of an answer or of a connection.
func (p *hostProtocol) set(http1 bool) {
	if p != nil && p.http1.Load() != http1 { // no write to a shared cache line on every call
		p.http1.Store(http1)
	}
}

// writeRewind is a write's GetBody while its host speaks HTTP/1 (see
// onceWrites): the call's state, reset by begin for each attempt.
type writeRewind struct {
	proto     *hostProtocol
	trace     httptrace.ClientTrace
	getBodyFn func() (io.ReadCloser, error) // s.rewindBody, made once per call
	getBody   func() (io.ReadCloser, error) // retryablehttp's, of the attempt in flight

	http2        atomic.Bool // a connection of the attempt spoke HTTP/2
	wroteHeaders atomic.Bool // headers of the attempt were written (on another goroutine)
}

// rewindWrites gives s, a write's state, a GetBody for HTTP/1 (installed by
// onceWrites) and returns the context for its requests. It costs four
// allocations (three hooks and the trace's context value), on writes to
// HTTP/1 hosts only.
func (s *callState) rewindWrites(p *hostProtocol) context.Context {
	w := &s.rewind
	w.proto = p
	w.getBodyFn = s.rewindBody
	w.trace.GotConn = s.gotWriteConn
	w.trace.WroteHeaders = func() { w.wroteHeaders.Store(true) }
	return httptrace.WithClientTrace(s, &w.trace)
}

// begin starts an attempt whose body retryablehttp's getBody makes.
func (w *writeRewind) begin(getBody func() (io.ReadCloser, error)) {
	w.getBody = getBody
	w.http2.Store(false)
	w.wroteHeaders.Store(false)
}

// gotWriteConn runs before each request the transport sends for a write.
func (s *callState) gotWriteConn(info httptrace.GotConnInfo) {
	if speaksHTTP2(info.Conn) {
		s.rewind.http2.Store(true)
		s.rewind.proto.set(false)
	}
}

// speaksHTTP2 reports whether conn negotiated HTTP/2 with TLS ALPN (a
// *tls.Conn, or a wrapper that tells its TLS state). Unencrypted HTTP/2
// is not visible on the connection: rewindBody also checks its caller.
func speaksHTTP2(conn net.Conn) bool {
	tc, ok := conn.(interface{ ConnectionState() tls.ConnectionState })
	return ok && tc.ConnectionState().NegotiatedProtocol == "h2"
}

// rewindBody is a write's GetBody. It gives the body again only to
// net/http's HTTP/1 rewind, which asks for it after a kept-alive connection
// was found dead with nothing written, and only while no connection of
// the attempt negotiated HTTP/2. Anyone else (Go's HTTP/2 clients, which
// replay after a reset; a user's middleware) gets a *replayRefusal, and
// the host's later writes no GetBody at all.
func (s *callState) rewindBody() (io.ReadCloser, error) {
	w := &s.rewind
	if !w.http2.Load() && calledByHTTP1Rewind() && w.getBody != nil {
		return w.getBody()
	}
	w.proto.set(false)
	return nil, &replayRefusal{unprocessed: !w.wroteHeaders.Load()}
}

// http1Rewind is the net/http function that asks an HTTP/1 request's
// GetBody for a body to resend. It is called only when the request may be
// resent: for a write, when nothing of it was written.
const http1Rewind = "net/http.rewindBody"

// calledByHTTP1Rewind reports whether the GetBody running is called by
// net/http's HTTP/1 rewind (inlined or not; frames of this package, such
// as a method value's wrapper, are skipped). Should a Go release rename
// it, GetBody refuses: writes are then not resent after a stale
// connection, as with no GetBody (TestStaleKeepAlive fails).
func calledByHTTP1Rewind() bool {
	var pcs [8]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/otpkit/otpkit.") {
			return f.Function == http1Rewind
		}
		if !more {
			return false
		}
	}
}

// replayRefusal is rewindBody's answer to an HTTP/2 transport that wants to
// replay a write. unprocessed: no header of the attempt was written, so
// the server cannot have acted on it (an HTTP/2 connection found unusable
// before the stream began).
type replayRefusal struct{ unprocessed bool }

func (e *replayRefusal) Error() string {
	return "the HTTP/2 stream ended without an answer (reset, refused, or its connection went away)"
}

// replayRefused turns the error of a transport that would have replayed a
// write, and could not, into a *sentError. Either rewindBody refused
// (*replayRefusal), or GetBody was nil and net/http words it "cannot retry
// err [CAUSE] after Request.Body was written; define Request.GetBody to
// avoid this error", advice that is wrong here. Other errors pass
// unchanged.
func replayRefused(err error) error {
	var rr *replayRefusal
	if errors.As(err, &rr) {
		return &sentError{cause: rr.Error(), unprocessed: rr.unprocessed, err: err}
	}
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
