package verify

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r, for
// SendRequest.IP and Guard.AllowSend, in canonical form ("198.51.100.7",
// "2001:db8::1"; an IPv4-mapped IPv6 address as IPv4, without port or
// zone).
//
// Behind a load balancer or reverse proxy, r.RemoteAddr is the proxy's
// address for every request, and the IP rule (IPSends, 20 sends an hour by
// default) would count every user as one client: a cap on sign-ins for the
// whole app, which anyone reaches with 20 requests. The client's address is
// then in X-Forwarded-For, which each proxy appends its peer to, but which
// the client writes too: only the hops that trusted proxies appended can be
// believed. So ClientIP reads X-Forwarded-For only when r.RemoteAddr is
// itself in one of the trusted prefixes (give your proxies' addresses, never
// a range clients can be in), walks it from the right (every
// X-Forwarded-For header, in order, as one list) past hops that are trusted
// too, and returns the first hop that is not: the address the outermost
// trusted proxy saw. Whatever the client put further left is ignored. With
// no trusted prefixes, or from an untrusted peer, it is r.RemoteAddr's host.
//
// A hop that is not an IP address (garbage, "unknown", an empty entry) ends
// the walk: the client is then the trusted hop that reported it, so a proxy
// that writes garbage narrows the IP rule rather than lifting it. When every
// hop is trusted, the client is the leftmost. Hops may carry a port
// ("192.0.2.1:443", "[2001:db8::1]:443") and spaces around commas.
//
// It returns "" when r.RemoteAddr is not an IP address (a server on a Unix
// socket); the IP rule then does not apply.
func ClientIP(r *http.Request, trusted ...netip.Prefix) string {
	remote, ok := parseHop(r.RemoteAddr)
	if !ok {
		return ""
	}
	trusted = normPrefixes(trusted)
	if !isTrusted(remote, trusted) {
		return remote.String()
	}
	client := remote
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		for {
			hop := rest
			comma := strings.LastIndexByte(rest, ',')
			if comma >= 0 {
				hop, rest = rest[comma+1:], rest[:comma]
			}
			a, ok := parseHop(hop)
			if !ok {
				return client.String() // garbage from a trusted hop: the hop is all we know
			}
			client = a
			if !isTrusted(a, trusted) {
				return a.String()
			}
			if comma < 0 {
				break
			}
		}
	}
	return client.String()
}

// parseHop reads one address as r.RemoteAddr or an X-Forwarded-For entry
// holds it: an IP address, with or without a port, IPv6 possibly bracketed,
// spaces around. It returns the address unmapped and without zone.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		host := s
		if h, _, err := net.SplitHostPort(s); err == nil {
			host = h
		} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			host = s[1 : len(s)-1]
		} else {
			return netip.Addr{}, false
		}
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// normPrefixes returns trusted with IPv4-mapped IPv6 prefixes
// (::ffff:10.0.0.0/104) as the IPv4 prefixes they cover, since addresses are
// compared unmapped, and without invalid prefixes. It copies only when it
// changes something.
func normPrefixes(trusted []netip.Prefix) []netip.Prefix {
	for i, p := range trusted {
		if p.IsValid() && !p.Addr().Is4In6() {
			continue
		}
		out := append([]netip.Prefix(nil), trusted[:i]...)
		for _, p := range trusted[i:] {
			switch {
			case !p.IsValid():
			case !p.Addr().Is4In6():
				out = append(out, p)
			case p.Bits() >= 96:
				out = append(out, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96))
			}
			// A mapped prefix wider than ::ffff:0:0/96 is dropped: no IPv4
			// prefix says the same, and trusting less is the safe side.
		}
		return out
	}
	return trusted
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
