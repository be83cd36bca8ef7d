package verify_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// openLimits turns the send rules off, for tests that send often to one
// number (and benchmarks that send thousands of codes to one prefix before
// checking any, which the conversion guard would take for pumping); the
// failure budget and code rules stay at their defaults.
var openLimits = verify.Limits{SendInterval: -1, RecipientSends: verify.Rate{Count: -1},
	IPSends: verify.Rate{Count: -1}, PrefixSends: verify.Rate{Count: -1}, ConversionWindow: -1}

// newMock starts a mock and a client for it with retries off (so a refused
// connection fails at once), closed with the test.
func newMock(t testing.TB, opts ...otpkit.Option) (*mock.Server, *otpkit.Client) {
	t.Helper()
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client(append([]otpkit.Option{otpkit.WithRetryPolicy(otpkit.RetryPolicy{})}, opts...)...)
	require.NoError(t, err)
	return srv, c
}

// newGuard returns a Guard on a new MemoryStore.
func newGuard(t *testing.T, l verify.Limits, opts ...verify.GuardOption) *verify.Guard {
	t.Helper()
	g, err := verify.NewGuard(verify.NewMemoryStore(), append([]verify.GuardOption{verify.WithLimits(l)}, opts...)...)
	require.NoError(t, err)
	return g
}

// newService returns a Service on g over ps.
func newService(t *testing.T, g *verify.Guard, ps ...verify.Provider) *verify.Service {
	t.Helper()
	s, err := verify.New(g, ps...)
	require.NoError(t, err)
	return s
}

// providerOf makes the adapter of the named provider on c.
func providerOf(name otpkit.Provider, c *otpkit.Client) verify.Provider {
	switch name {
	case otpkit.ProviderTryvox:
		return verify.Tryvox(c)
	case otpkit.ProviderDotdigital:
		return verify.Dotdigital(c)
	}
	return verify.LOX24(c)
}

// sendRoute is each provider's send request, for faults.
var sendRoute = map[otpkit.Provider]string{
	otpkit.ProviderTryvox:     "POST /v1/verify/start",
	otpkit.ProviderDotdigital: "POST /webapi/verify",
	otpkit.ProviderLOX24:      "POST /verify_codes",
}

// codeFor is the code the mock sent for sent, as the user reads it.
func codeFor(t *testing.T, srv *mock.Server, sent *verify.Sent) string {
	t.Helper()
	code, ok := srv.CodeFor(sent.ProviderID)
	require.True(t, ok, "the mock sent no code for %s %s", sent.Provider, sent.ProviderID)
	return code
}

// wrong returns a code of code's length that differs from it.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// requestsTo counts the mock's logged requests to provider p.
func requestsTo(srv *mock.Server, p otpkit.Provider) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Provider == p {
			n++
		}
	}
	return n
}

// refusedURL is a base URL on which nothing listens.
func refusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// manualClock is a Guard clock a test moves.
type manualClock struct{ now time.Time }

func (c *manualClock) Now() time.Time          { return c.now }
func (c *manualClock) Advance(d time.Duration) { c.now = c.now.Add(d) }
