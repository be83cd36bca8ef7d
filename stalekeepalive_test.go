package otpkit_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// A kept-alive connection that the server (or a load balancer) closed
// while it was idle: the client finds it dead when it writes the next
// request, before any byte of it left. net/http sends such a request again
// on a fresh connection; a write must get that too, and when the fresh
// connection fails as well the write provably never left (ErrNotSent).

// staleDialer dials real connections and can make every connection dialed
// so far stale: its next write fails with nothing written, as a kept-alive
// connection does once net/http's read loop saw the server close it.
type staleDialer struct {
	dials    atomic.Int32
	redirect atomic.Pointer[string] // when set, dial this address instead (a closed port)
	mu       sync.Mutex
	conns    []*staleConn
}

func (d *staleDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	if r := d.redirect.Load(); r != nil {
		addr = *r
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	sc := &staleConn{Conn: c}
	d.mu.Lock()
	d.conns = append(d.conns, sc)
	d.mu.Unlock()
	return sc, nil
}

// goStale makes every connection dialed so far fail its next write.
func (d *staleDialer) goStale() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.stale.Store(true)
	}
}

type staleConn struct {
	net.Conn
	stale atomic.Bool
}

// Write fails, writing nothing, once the connection is stale; it closes
// the connection as the server had.
func (c *staleConn) Write(p []byte) (int, error) {
	if c.stale.Load() {
		c.Conn.Close()
		return 0, &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: net.ErrClosed}
	}
	return c.Conn.Write(p)
}

// staleClients are the two ways a Client gets its transport.
var staleClients = []struct {
	name   string
	client func(t *testing.T, d *staleDialer, opts []otpkit.Option) *otpkit.Client
}{
	{"default transport", func(t *testing.T, d *staleDialer, opts []otpkit.Option) *otpkit.Client {
		c, err := otpkit.NewClient(opts...)
		require.NoError(t, err)
		otpkit.DialForTest(c, d.dial)
		t.Cleanup(c.CloseIdleConnections)
		return c
	}},
	{"WithHTTPClient net/http", func(t *testing.T, d *staleDialer, opts []otpkit.Option) *otpkit.Client {
		tr := &http.Transport{DialContext: d.dial}
		t.Cleanup(tr.CloseIdleConnections)
		c, err := otpkit.NewClient(append(opts, otpkit.WithHTTPClient(&http.Client{Transport: tr}))...)
		require.NoError(t, err)
		return c
	}},
}

func TestStaleKeepAliveWriteIsSentOnAFreshConnection(t *testing.T) {
	for _, sc := range staleClients {
		for _, call := range rawCalls {
			if !call.write {
				continue
			}
			t.Run(sc.name+"/"+call.name, func(t *testing.T) {
				var requests atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					writeJSON(w, http.StatusNotFound, `{}`)
				}))
				defer srv.Close()
				d := &staleDialer{}
				c := sc.client(t, d, staleOpts(srv.URL))

				isSentinel(otpkit.ErrNotFound)(t, call.do(context.Background(), c))
				require.EqualValues(t, 1, d.dials.Load())
				d.goStale()

				err := call.do(context.Background(), c)
				isSentinel(otpkit.ErrNotFound)(t, err) // the server's answer, over a fresh connection
				assert.EqualValues(t, 2, requests.Load(), "the second call reached the server exactly once")
				assert.EqualValues(t, 2, d.dials.Load(), "one fresh connection")
			})
		}
	}
}

// The fresh connection is refused too: nothing ever left.
func TestStaleKeepAliveThenRefusedIsNotSent(t *testing.T) {
	closed := closedPort(t)
	for _, sc := range staleClients {
		for _, call := range rawCalls {
			if !call.write {
				continue
			}
			t.Run(sc.name+"/"+call.name, func(t *testing.T) {
				var requests atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					writeJSON(w, http.StatusNotFound, `{}`)
				}))
				defer srv.Close()
				d := &staleDialer{}
				c := sc.client(t, d, staleOpts(srv.URL))
				isSentinel(otpkit.ErrNotFound)(t, call.do(context.Background(), c))
				d.goStale()
				d.redirect.Store(&closed)

				err := call.do(context.Background(), c)
				isRefused(t, err)
				assert.ErrorIs(t, err, otpkit.ErrUnavailable)
				assert.ErrorIs(t, err, otpkit.ErrNotSent, "found dead before a byte was written, then refused")
				assert.EqualValues(t, 1, requests.Load(), "only the first call reached the server")
				assert.EqualValues(t, 2+faultRetries.MaxRetries, d.dials.Load(),
					"the stale connection's dial, then a refused one per attempt")
			})
		}
	}
}

// Against the mock: a write that finds its connection stale succeeds.
func TestStaleKeepAliveMock(t *testing.T) {
	srv := mock.NewServer()
	defer srv.Close()
	for _, sc := range staleClients {
		t.Run(sc.name, func(t *testing.T) {
			srv.Reset()
			d := &staleDialer{}
			c := sc.client(t, d, []otpkit.Option{
				otpkit.WithBaseURL(srv.URL),
				otpkit.WithTryvoxKey(mock.TryvoxAPIKey, mock.TryvoxTenantID),
				otpkit.WithRetryPolicy(faultRetries),
			})
			ctx := context.Background()
			v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
			require.NoError(t, err)
			d.goStale()
			code, ok := srv.LastCode("+4917012345678")
			require.True(t, ok)
			got, err := c.CheckCode(ctx, v.ID, code)
			require.NoError(t, err)
			assert.Equal(t, otpkit.VerificationApproved, got.Status)
			checks := 0
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPost && r.Path == "/v1/verify/check" {
					checks++
				}
			}
			assert.Equal(t, 1, checks, "the check reached the mock once")
			assert.EqualValues(t, 2, d.dials.Load())
		})
	}
}

func staleOpts(url string) []otpkit.Option {
	return []otpkit.Option{
		otpkit.WithBaseURL(url),
		otpkit.WithLOX24Token(testLOX24Token),
		otpkit.WithTryvoxKey(testTryvoxKey, testTenant),
		otpkit.WithDotdigitalAuth(testDDUser, testDDPassword),
		otpkit.WithRetryPolicy(faultRetries),
	}
}

// The default transport closes idle connections before the common load
// balancers do.
func TestDefaultIdleConnTimeoutBelowLoadBalancers(t *testing.T) {
	c, err := otpkit.NewClient()
	require.NoError(t, err)
	assert.Equal(t, otpkit.DefaultIdleConnTimeout, otpkit.IdleConnTimeoutForTest(c))
	const awsALB = 60e9 // the lowest common default (nginx 75 s, Azure 4 min, GCP 600 s)
	assert.Less(t, float64(otpkit.DefaultIdleConnTimeout), float64(awsALB))
}
