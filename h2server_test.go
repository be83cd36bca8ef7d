package otpkit_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// An HTTP/2 server over TLS that speaks raw frames, so a test decides what
// happens to each stream: reset it after the whole request arrived (the
// server may have acted on it), refuse it before reading its body, or send
// GOAWAY naming a lower stream id (the server provably did not act).

// h2Mode is what an h2Server does with the streams it gets.
type h2Mode int

const (
	h2Answer       h2Mode = iota // answer every request 404 {}
	h2ResetOnce                  // PROTOCOL_ERROR after the first whole request, then answer
	h2ResetAlways                // PROTOCOL_ERROR after every whole request
	h2RefuseOnce                 // REFUSED_STREAM on the first request's headers, then answer
	h2RefuseAlways               // REFUSED_STREAM on every request's headers
	h2GoAwayOnce                 // GOAWAY with a lower last-stream id on the first request's headers, then answer
)

// h2Server counts the requests whose headers arrived and those it read
// whole and then answered or reset: only the latter may have been acted on.
type h2Server struct {
	url  string
	pool *x509.CertPool // trusts the server's certificate
	mode h2Mode

	arrived   atomic.Int32
	processed atomic.Int32
	used      atomic.Bool // the one-shot fault happened

	connServer
}

// testCert is a self-signed ECDSA certificate for 127.0.0.1 and a pool
// that trusts it (ECDSA: handshakes stay cheap under -race with a hundred
// servers at once).
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "otpkit test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
})

func newH2Server(t *testing.T, mode h2Mode) *h2Server {
	t.Helper()
	cert, pool := testCert()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{http2.NextProtoTLS}}
	s := &h2Server{url: "https://" + ln.Addr().String(), pool: pool, mode: mode}
	s.start(tls.NewListener(ln, cfg), s.serve)
	t.Cleanup(s.close)
	return s
}

// newH2CServer is an h2Server without TLS: HTTP/2 with prior knowledge
// (h2c), which nothing on the connection tells from HTTP/1.
func newH2CServer(t *testing.T, mode h2Mode) *h2Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &h2Server{url: "http://" + ln.Addr().String(), mode: mode}
	s.start(ln, s.serve)
	t.Cleanup(s.close)
	return s
}

// once reports whether the one-shot fault is still to happen.
func (s *h2Server) once() bool { return s.used.CompareAndSwap(false, true) }

func (s *h2Server) serve(conn net.Conn) {
	if tc, ok := conn.(*tls.Conn); ok && (tc.Handshake() != nil || tc.ConnectionState().NegotiatedProtocol != http2.NextProtoTLS) {
		return
	}
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if fr.WriteSettings() != nil {
		return
	}
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	answer := func(id uint32) error {
		hbuf.Reset()
		for _, f := range []hpack.HeaderField{{Name: ":status", Value: "404"},
			{Name: "content-type", Value: "application/json"}, {Name: "content-length", Value: "2"}} {
			_ = enc.WriteField(f)
		}
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hbuf.Bytes(), EndHeaders: true}); err != nil {
			return err
		}
		return fr.WriteData(id, true, []byte("{}"))
	}
	// whole is called when a request has arrived whole.
	whole := func(id uint32) error {
		s.processed.Add(1)
		if s.mode == h2ResetAlways || (s.mode == h2ResetOnce && s.once()) {
			return fr.WriteRSTStream(id, http2.ErrCodeProtocol)
		}
		return answer(id)
	}
	open := map[uint32]bool{} // streams whose request goes on
	goneAway := false
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		if goneAway { // wait for the client to hang up
			continue
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				err = fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				err = fr.WritePing(true, f.Data)
			}
		case *http2.MetaHeadersFrame:
			s.arrived.Add(1)
			id := f.StreamID
			switch {
			case s.mode == h2RefuseAlways || (s.mode == h2RefuseOnce && s.once()):
				err = fr.WriteRSTStream(id, http2.ErrCodeRefusedStream)
			case s.mode == h2GoAwayOnce && s.once():
				err = fr.WriteGoAway(id-1, http2.ErrCodeNo, nil) // id-1 < id: not processed
				goneAway = true
			case f.StreamEnded():
				err = whole(id)
			default:
				open[id] = true
			}
		case *http2.DataFrame:
			if n := len(f.Data()); n > 0 {
				err = fr.WriteWindowUpdate(0, uint32(n))
			}
			if err == nil && f.StreamEnded() && open[f.StreamID] {
				delete(open, f.StreamID)
				err = whole(f.StreamID)
			}
		case *http2.RSTStreamFrame:
			delete(open, f.StreamID)
		case *http2.GoAwayFrame:
			return
		}
		if err != nil {
			return
		}
	}
}

// String names the mode for test names.
func (m h2Mode) String() string {
	return [...]string{"answers", "resets once", "resets always", "refuses once", "refuses always", "goes away once"}[m]
}
