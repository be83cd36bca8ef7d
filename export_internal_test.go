package otpkit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
)

// TrustForTest makes the transport NewClient made for c trust pool, so that
// tests reach their TLS servers through the default transport.
func TrustForTest(c *Client, pool *x509.CertPool) {
	c.httpClient.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
}

// DialForTest makes the transport NewClient made for c dial with dial.
func DialForTest(c *Client, dial func(ctx context.Context, network, addr string) (net.Conn, error)) {
	c.httpClient.Transport.(*http.Transport).DialContext = dial
}

// IdleConnTimeoutForTest is the idle timeout of the transport NewClient
// made for c.
func IdleConnTimeoutForTest(c *Client) any {
	return c.httpClient.Transport.(*http.Transport).IdleConnTimeout
}

// AssumeHTTP1ForTest makes c take its hosts for HTTP/1 ones, as an HTTP/1
// answer from each would have.
func AssumeHTTP1ForTest(c *Client) {
	for _, ep := range []endpoint{c.lox24EP, c.tryvoxEP, c.dotdigitalEP} {
		ep.proto.set(true)
	}
}
