package otpkit

import "net/http"

// onceWrites is the RoundTripper every attempt goes through, in front of
// whatever transport the Client uses. For a write it drops
// Request.GetBody, which retryablehttp sets on every request with a body:
// Go's HTTP/2 clients use GetBody to replay, on a fresh connection, a
// request whose stream the server reset after it read the request, and such
// a replay would send a message or spend an attempt a second time. Without
// GetBody a transport can only resend a body it never started to send.
// Reads (GET, HEAD) keep it: a replayed read does no harm.
type onceWrites struct{ next http.RoundTripper }

// RoundTrip sends req through the wrapped transport.
func (o onceWrites) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody != nil && req.Method != http.MethodGet && req.Method != http.MethodHead {
		r := *req // a RoundTripper must not modify the caller's request
		r.GetBody = nil
		req = &r
	}
	return o.next.RoundTrip(req)
}
