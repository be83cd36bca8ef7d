package main

import (
	"context"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/mock"
)

// serveBriefly runs serveMock on a listener at addr until it has started,
// then stops it, and returns what it wrote to stderr.
func serveBriefly(t *testing.T, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	c := &cli{ctx: ctx, env: func(string) string { return "" }, stdout: &stdout, stderr: &stderr}
	done := make(chan error, 1)
	go func() { done <- c.serveMock(ln, mock.NewHandler()) }()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "listening on") }, 5*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the mock did not stop")
	}
	return stderr.String()
}

// Listening where other hosts reach it prints a warning: the /_mock/
// controls have no authentication.
func TestMockWarnsWhenReachableFromOtherHosts(t *testing.T) {
	out := serveBriefly(t, "0.0.0.0:0")
	assert.Contains(t, out, "warning")
	assert.Contains(t, out, "/_mock/")
	assert.Contains(t, out, "authentication")

	out = serveBriefly(t, "127.0.0.1:0")
	assert.NotContains(t, out, "warning", "loopback is not exposed")
}

// The standalone server bounds how long a client may take to send a
// request and how long an idle connection stays open.
func TestMockServerTimeouts(t *testing.T) {
	srv := newMockServer(mock.NewHandler(), log.New(io.Discard, "", 0))
	assert.Positive(t, srv.ReadHeaderTimeout)
	assert.Positive(t, srv.ReadTimeout)
	assert.Positive(t, srv.IdleTimeout)
	assert.LessOrEqual(t, srv.ReadTimeout, time.Minute)
	assert.LessOrEqual(t, srv.IdleTimeout, 5*time.Minute)
	assert.Zero(t, srv.WriteTimeout, "a Delay fault may hold an answer as long as a test asks")

	// A client that opens a connection and sends nothing is cut off.
	srv.ReadHeaderTimeout, srv.ReadTimeout = 100*time.Millisecond, 200*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("POST /v1/verify/start HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadAll(conn)
	assert.NoError(t, err, "the server closed the connection of a client that stalled its body")
}
