package otpkit

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

// TrustForTest makes the transport NewClient made for c trust pool, so that
// tests reach their TLS servers through the default transport.
func TrustForTest(c *Client, pool *x509.CertPool) {
	c.httpClient.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
}
