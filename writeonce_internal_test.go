package otpkit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayRefused reads net/http's "cannot retry" error: a refused stream or
// a GOAWAY for a later stream was not processed (the client may send the
// write again), any other reset may have been.
func TestReplayRefused(t *testing.T) {
	wrap := func(cause string) error {
		return fmt.Errorf("http2: Transport: cannot retry err [%s] after Request.Body was written; define Request.GetBody to avoid this error", cause)
	}
	for cause, unprocessed := range map[string]bool{
		"stream error: stream ID 3; PROTOCOL_ERROR; received from peer": false,
		"stream error: stream ID 1; REFUSED_STREAM; received from peer": true,
		"http2: Transport received Server's graceful shutdown GOAWAY":   true,
		"http2: client connection lost":                                 false,
	} {
		in := wrap(cause)
		err := replayRefused(in)
		var se *sentError
		require.ErrorAs(t, err, &se, cause)
		assert.Equal(t, unprocessed, se.unprocessed, cause)
		assert.Equal(t, unprocessed, notSent(err), cause)
		assert.Contains(t, err.Error(), cause)
		assert.NotContains(t, err.Error(), "GetBody")
		assert.ErrorIs(t, err, in, "net/http's error stays in the chain")
	}
	for _, other := range []error{io.EOF, errors.New("cannot retry err [x"), errors.New("x] after Request.Body was written")} {
		assert.Equal(t, other, replayRefused(other))
	}
}

// rewindBody gives the body only to net/http's HTTP/1 rewind, and only
// while no connection of the attempt spoke HTTP/2; anyone else gets a
// refusal that says whether any header left, and the host is no longer
// taken for an HTTP/1 one.
func TestRewindBodyRefusesAllButTheHTTP1Rewind(t *testing.T) {
	body := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("{}")), nil }
	for _, tc := range []struct {
		name                string
		http2, wroteHeaders bool
	}{
		{"HTTP/1 connection, called by a test", false, false},
		{"HTTP/2 connection, no header written", true, false},
		{"HTTP/2 connection, headers written", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &hostProtocol{}
			p.set(true)
			s := &callState{Context: context.Background(), write: true}
			s.rewindWrites(p)
			s.rewind.begin(body)
			s.rewind.http2.Store(tc.http2)
			s.rewind.wroteHeaders.Store(tc.wroteHeaders)

			rc, err := s.rewind.getBodyFn() // not net/http's rewind: refused
			assert.Nil(t, rc)
			var rr *replayRefusal
			require.ErrorAs(t, err, &rr)
			assert.Equal(t, !tc.wroteHeaders, rr.unprocessed)
			assert.False(t, p.isHTTP1(), "the host's next writes get no GetBody")

			sent := replayRefused(fmt.Errorf("wrapped: %w", err))
			assert.Equal(t, !tc.wroteHeaders, notSent(sent), "not sent only when no header left")
			assert.ErrorIs(t, sent, err)
		})
	}
}

// A connection that negotiated h2 marks the attempt and the host.
func TestGotWriteConnSeesHTTP2(t *testing.T) {
	p := &hostProtocol{}
	p.set(true)
	s := &callState{Context: context.Background(), write: true}
	s.rewindWrites(p)
	s.rewind.begin(nil)
	s.gotWriteConn(httptrace.GotConnInfo{Conn: &net.TCPConn{}})
	assert.False(t, s.rewind.http2.Load(), "a plain connection does not tell")
	assert.True(t, p.isHTTP1())
	s.gotWriteConn(httptrace.GotConnInfo{Conn: fakeTLS{proto: "h2"}})
	assert.True(t, s.rewind.http2.Load())
	assert.False(t, p.isHTTP1())
	s.rewind.begin(nil)
	assert.False(t, s.rewind.http2.Load(), "each attempt starts afresh")
}

// fakeTLS is a connection that tells its TLS state, as *tls.Conn does.
type fakeTLS struct {
	net.Conn
	proto string
}

func (f fakeTLS) ConnectionState() tls.ConnectionState {
	return tls.ConnectionState{NegotiatedProtocol: f.proto}
}
