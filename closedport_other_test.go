//go:build !unix

package otpkit_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// closedPort returns the address of a 127.0.0.1 port nothing listens on.
// (Another test's server may take it afterwards; on unix closedPort holds
// it.)
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
