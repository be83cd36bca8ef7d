package mock

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// How the mock resists a browser. The /_mock/ controls have no
// authentication (a CI job on the same host drives them), so the one
// client to keep out is a web page the developer has open, which can send
// requests to 127.0.0.1 with the developer's network position:
//
//   - A cross-site "simple" request (a form post, fetch with text/plain) needs
//     no preflight. Every /_mock/ write therefore requires
//     Content-Type: application/json, which a page can send only after a
//     CORS preflight that the mock never grants; anything else is 415.
//   - A page that sends Origin from elsewhere is refused with 403 on any
//     /_mock/ request.
//   - DNS rebinding: a page at attacker.example re-resolves its own name to
//     127.0.0.1 and then reads the mock as same-origin. Its requests carry
//     Host: attacker.example, so a Handler behind a server answers only Hosts
//     that are loopback names (localhost, *.localhost, 127.0.0.0/8, ::1),
//     the very address the connection arrived on (the bound address; an IP
//     literal cannot be rebound), or names given with WithAllowedHosts;
//     anything else is 403, on every path.

// WithAllowedHosts adds host names (or IP addresses) that requests may name
// in their Host header, besides loopback names and the address the
// connection arrived on: the name other containers reach a mock at, say
// WithAllowedHosts("mock") for http://mock:8080. Give names without a port;
// they compare in any case. It panics on an empty name or one with a port,
// a scheme or a path.
func WithAllowedHosts(hosts ...string) Option {
	return func(c *config) {
		for _, h := range hosts {
			name := normHost(h)
			if name == "" || strings.ContainsAny(h, "/:@ []") && !isIPv6Literal(h) {
				c.fail("WithAllowedHosts: %q is not a host name (give it without scheme, port or path)", h)
				continue
			}
			if c.allowedHosts == nil {
				c.allowedHosts = map[string]bool{}
			}
			c.allowedHosts[name] = true
		}
	}
}

func isIPv6Literal(h string) bool {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	return err == nil && a.Is6()
}

// guard answers 403 for a request a browser could have been tricked into
// sending, and reports whether it did. The Host rule applies only to a
// request that came through a net/http server (its context holds the local
// address): a test calling ServeHTTP directly is no browser.
func (h *Handler) guard(w http.ResponseWriter, r *http.Request, control bool) bool {
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && !h.hostAllowed(r.Host, local) {
		controlError(w, http.StatusForbidden, "the mock answers only Hosts that are loopback names "+
			"(localhost, 127.0.0.1, [::1]) or the address it listens on; "+
			"name others with WithAllowedHosts (otpkit mock --allow-host)")
		return true
	}
	if control && !sameOrigin(r) {
		controlError(w, http.StatusForbidden, "the /_mock/ controls refuse requests from web pages of another origin")
		return true
	}
	return false
}

// hostAllowed reports whether host (a Host header) names this mock.
func (h *Handler) hostAllowed(host string, local net.Addr) bool {
	name := normHost(host)
	if name == "" {
		return false
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || h.cfg.allowedHosts[name] {
		return true
	}
	a, err := netip.ParseAddr(name)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if a.IsLoopback() {
		return true
	}
	if ap, err := netip.ParseAddrPort(local.String()); err == nil && ap.Addr().Unmap().WithZone("") == a.WithZone("") {
		return true
	}
	return false
}

// normHost is the host name of a Host header or host[:port]: without the
// port, the IPv6 brackets and a trailing dot, lowercase; "" when host is
// not of that form.
func normHost(host string) string {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		name = host[1 : len(host)-1]
	}
	if strings.ContainsAny(name, "[]") {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// sameOrigin reports whether every Origin header of r, if any, is the
// mock's own origin: the scheme it was reached with and the Host asked
// for. "null" (a sandboxed page, a file) is never the mock's.
func sameOrigin(r *http.Request) bool {
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	wantHost, wantPort := splitPort(r.Host, scheme)
	for _, o := range origins {
		u, err := url.Parse(strings.TrimSpace(o))
		if err != nil || !strings.EqualFold(u.Scheme, scheme) || u.Host == "" || u.Path != "" || u.User != nil {
			return false
		}
		host, port := splitPort(u.Host, scheme)
		if host == "" || host != wantHost || port != wantPort {
			return false
		}
	}
	return true
}

// splitPort returns hostport's normalised host name and its port, the
// scheme's default when it has none.
func splitPort(hostport, scheme string) (host, port string) {
	port = "80"
	if scheme == "https" {
		port = "443"
	}
	if _, p, err := net.SplitHostPort(hostport); err == nil && p != "" {
		port = p
	}
	return normHost(hostport), port
}

// jsonBody reports whether r's Content-Type is application/json (with any
// parameters), answering 415 when it is not: see the top of this file.
func jsonBody(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/json" {
		return true
	}
	controlError(w, http.StatusUnsupportedMediaType,
		"the /_mock/ controls take Content-Type: application/json on every request but GET, even without a body")
	return false
}
