package verify_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

// ipReq is a request from remote with the given X-Forwarded-For headers,
// one header per element.
func ipReq(remote string, xff ...string) *http.Request {
	r := httptest.NewRequest("POST", "/code", nil)
	r.RemoteAddr = remote
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

func prefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(s))
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func TestClientIP(t *testing.T) {
	lb := prefixes("10.0.0.0/8")                                   // one load balancer tier
	chain := prefixes("10.0.0.0/8", "192.168.1.0/24", "fd00::/8")  // CDN edge in 192.168.1.0/24, LB in 10/8
	mapped := prefixes("::ffff:10.0.0.0/104", "::ffff:0.0.0.0/64") // written as IPv4-mapped IPv6
	for _, tc := range []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		// No proxy.
		{"direct IPv4", "198.51.100.7:51234", nil, nil, "198.51.100.7"},
		{"direct IPv6", "[2001:db8::7]:51234", nil, nil, "2001:db8::7"},
		{"direct, IPv4-mapped", "[::ffff:198.51.100.7]:51234", nil, nil, "198.51.100.7"},
		{"direct, zone dropped", "[fe80::1%eth0]:51234", nil, nil, "fe80::1"},
		{"direct, no port", "198.51.100.7", nil, nil, "198.51.100.7"},
		{"direct, bracketed without port", "[2001:db8::7]", nil, nil, "2001:db8::7"},
		{"no trusted proxies: the header is ignored", "198.51.100.7:1", []string{"203.0.113.9"}, nil, "198.51.100.7"},
		{"an untrusted peer's header is ignored", "198.51.100.7:1", []string{"203.0.113.9"}, lb, "198.51.100.7"},
		{"spoofed header, no proxy", "198.51.100.7:1", []string{"10.0.0.5, 127.0.0.1"}, lb, "198.51.100.7"},

		// One load balancer.
		{"behind a load balancer", "10.0.0.2:40000", []string{"203.0.113.9"}, lb, "203.0.113.9"},
		{"the client's own header is ignored", "10.0.0.2:40000", []string{"192.0.2.4, 203.0.113.9"}, lb, "203.0.113.9"},
		{"spoofed trusted hop to the left is ignored", "10.0.0.2:40000", []string{"10.9.9.9, 203.0.113.9"}, lb, "203.0.113.9"},
		{"spaces and tabs", "10.0.0.2:40000", []string{" 192.0.2.4 ,\t203.0.113.9  "}, lb, "203.0.113.9"},
		{"hop with a port", "10.0.0.2:40000", []string{"203.0.113.9:5555"}, lb, "203.0.113.9"},
		{"IPv6 hop", "10.0.0.2:40000", []string{"2001:db8::9"}, lb, "2001:db8::9"},
		{"IPv6 hop bracketed with port", "10.0.0.2:40000", []string{"[2001:db8::9]:443"}, lb, "2001:db8::9"},
		{"IPv6 hop bracketed", "10.0.0.2:40000", []string{"[2001:db8::9]"}, lb, "2001:db8::9"},
		{"IPv4-mapped hop", "10.0.0.2:40000", []string{"::ffff:203.0.113.9"}, lb, "203.0.113.9"},
		{"IPv4-mapped proxy", "[::ffff:10.0.0.2]:40000", []string{"203.0.113.9"}, lb, "203.0.113.9"},
		{"no header: the proxy itself", "10.0.0.2:40000", nil, lb, "10.0.0.2"},
		{"empty header: the proxy itself", "10.0.0.2:40000", []string{""}, lb, "10.0.0.2"},

		// Chains of proxies.
		{"CDN then LB", "10.0.0.2:1", []string{"203.0.113.9, 192.168.1.20"}, chain, "203.0.113.9"},
		{"CDN then LB, spoofed left", "10.0.0.2:1", []string{"192.0.2.66, 192.168.1.99, 203.0.113.9, 192.168.1.20"}, chain, "203.0.113.9"},
		{"one hop per header", "10.0.0.2:1", []string{"192.0.2.66", "203.0.113.9", "192.168.1.20"}, chain, "203.0.113.9"},
		{"headers and lists mixed", "10.0.0.2:1", []string{"192.0.2.66, 203.0.113.9", "192.168.1.20, 10.1.1.1"}, chain, "203.0.113.9"},
		{"IPv6 proxies", "[fd00::2]:1", []string{"2001:db8::9, fd00::7"}, chain, "2001:db8::9"},
		{"every hop trusted: the leftmost", "10.0.0.2:1", []string{"192.168.1.5, 10.0.0.3"}, chain, "192.168.1.5"},
		{"an untrusted hop between trusted ones stops the walk", "10.0.0.2:1", []string{"192.168.1.5, 203.0.113.9, 10.0.0.3"}, chain, "203.0.113.9"},

		// Garbage from a trusted hop.
		{"garbage right of the client", "10.0.0.2:1", []string{"203.0.113.9, unknown"}, lb, "10.0.0.2"},
		{"garbage left of the client is ignored", "10.0.0.2:1", []string{"garbage, 203.0.113.9"}, lb, "203.0.113.9"},
		{"garbage behind a trusted hop", "10.0.0.2:1", []string{"203.0.113.9, junk, 10.0.0.3"}, lb, "10.0.0.3"},
		{"trailing comma", "10.0.0.2:1", []string{"203.0.113.9,"}, lb, "10.0.0.2"},
		{"quoted hop", "10.0.0.2:1", []string{`"203.0.113.9"`}, lb, "10.0.0.2"},
		{"hostname hop", "10.0.0.2:1", []string{"client.example"}, lb, "10.0.0.2"},
		{"Forwarded syntax is not X-Forwarded-For", "10.0.0.2:1", []string{"for=203.0.113.9"}, lb, "10.0.0.2"},

		// Prefixes written as IPv4-mapped IPv6.
		{"mapped trusted prefix", "10.0.0.2:1", []string{"203.0.113.9"}, mapped, "203.0.113.9"},

		// Not an IP.
		{"unix socket", "@", []string{"203.0.113.9"}, lb, ""},
		{"empty RemoteAddr", "", nil, lb, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, verify.ClientIP(ipReq(tc.remote, tc.xff...), tc.trusted...))
		})
	}
}

// The header's name is case-insensitive on the wire; net/http hands it over
// canonicalised, and a header set in another case by a Go client still
// counts.
func TestClientIPHeaderCase(t *testing.T) {
	r := ipReq("10.0.0.2:1")
	r.Header["X-Forwarded-For"] = []string{"203.0.113.9"}
	assert.Equal(t, "203.0.113.9", verify.ClientIP(r, prefixes("10.0.0.0/8")...))
}

// Whatever a client writes into X-Forwarded-For, prepending it to what the
// trusted proxies appended never changes an answer that is not itself a
// trusted address: the client can neither pick its address nor hide it.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.2:1", "192.0.2.66", "203.0.113.9, 192.168.1.20", "10.0.0.0/8")
	f.Add("[::ffff:10.0.0.2]:1", "garbage", "[2001:db8::9]:443", "::ffff:10.0.0.0/104")
	f.Add("198.51.100.7:1", "10.0.0.5", "", "0.0.0.0/0")
	f.Add("@", "", "192.0.2.4", "::/0")
	f.Add("10.0.0.2:1", "  ,, ", " 192.0.2.4 ,\t", "10.0.0.0/8")
	f.Fuzz(func(t *testing.T, remote, spoof, appended, trustedText string) {
		var trusted []netip.Prefix
		for _, s := range strings.Split(trustedText, " ") {
			if p, err := netip.ParsePrefix(s); err == nil {
				trusted = append(trusted, p)
			}
		}
		got := verify.ClientIP(ipReq(remote, appended), trusted...)
		if got != "" {
			a, err := netip.ParseAddr(got)
			require.NoError(t, err, "%q is not an address", got)
			require.Equal(t, a.Unmap().WithZone("").String(), got, "canonical, unmapped, no zone")
		}
		direct := verify.ClientIP(ipReq(remote))
		require.Equal(t, direct, verify.ClientIP(ipReq(remote, spoof, appended)), "no trusted proxies: the headers never count")
		if got == "" {
			require.Empty(t, direct, "only a RemoteAddr that is not an IP gives no address")
			return
		}
		trustedGot := false
		a := netip.MustParseAddr(got)
		for _, p := range trusted {
			if p.Contains(a) || p.Addr().Is4In6() && p.Bits() >= 96 && netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Contains(a) {
				trustedGot = true
			}
		}
		if !trustedGot {
			spoofed := verify.ClientIP(ipReq(remote, spoof, appended), trusted...)
			require.Equal(t, got, spoofed, "the client's own header %q changed the answer", spoof)
		}
	})
}
