package mock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
)

// Fault is a scripted misbehaviour for the next requests on a route, set
// with InjectFault. A fault answers instead of the provider (Status), holds
// the request first (Delay), or drops the connection without an answer
// (DropConnection). Requests a fault touched still appear in Requests, with
// Request.Fault set.
type Fault struct {
	// Status, when non-zero, is answered instead of the provider's answer,
	// with the provider's error body for that status.
	Status int
	// RetryAfter, when positive, is sent as a Retry-After header in whole
	// seconds (rounded up) with Status.
	RetryAfter time.Duration
	// Delay holds the request this long before anything else happens. A
	// delay alone (no Status, no DropConnection) is pure latency: the
	// provider then answers normally. The delay ends early, without an
	// answer, when the client goes away or the Server closes.
	//
	// With AfterHandler, Delay holds the answer instead: the provider acts
	// at once (sends the code, counts the attempt), then the answer waits
	// Delay before it is written, replaced by Status or dropped. A client
	// whose timeout is shorter gives up on a request that took effect: "the
	// provider is slow, but it did it". A client that leaves during the hold
	// gets nothing; the provider's action stands.
	Delay time.Duration
	// DropConnection closes the connection without an answer, so the client
	// sees a transport error. Outside an http.Server (ServeHTTP called with
	// a recorder) there is no connection to drop; the answer is then 502.
	DropConnection bool
	// Count is how many upcoming matching requests the fault hits: 0 means
	// 1, a negative count means every one until ClearFaults or Reset.
	Count int
	// AfterHandler lets the provider process the request first (send the
	// code, count the attempt, charge the account) and then drops the
	// connection or replaces the answer with Status: "the provider did it,
	// but the response was lost". With Delay, the answer is held after the
	// provider acted (see Delay).
	AfterHandler bool
}

type faultEntry struct {
	route     string
	method    string   // "" matches any method
	segs      []string // path segments without the leading "/"; "{name}" matches any one segment
	fold      bool     // compare segments case-insensitively (dotdigital paths)
	fault     Fault
	remaining int // < 0: unlimited
}

// InjectFault makes the next f.Count requests matching route misbehave as f
// says. route is "METHOD /path" or just "/path" (any method); a path segment
// written {name} matches any one segment, so "GET /v1/verify/{id}" matches
// every status request. dotdigital paths (/webapi/…) match in any case, as
// the provider's do. Faults for the same request apply in the order they
// were injected.
//
// The otpkit client retries reads (GET) on transport errors and 5xx, so a
// fault with Count 1 on a GET route is absorbed by the retry and the call
// succeeds. To test an outage of a read, use Count: -1 (every request until
// ClearFaults) or a client with retries off
// (otpkit.WithRetryPolicy(otpkit.RetryPolicy{})). Writes are never retried
// once sent.
//
// InjectFault panics when route or f is unusable: a route not
// starting with "/" or under /_mock/, a Status that is not an HTTP status, a
// negative Delay or RetryAfter, or a fault that would do nothing.
func (h *Handler) InjectFault(route string, f Fault) {
	if err := h.injectFault(route, f); err != nil {
		panic("mock: InjectFault: " + err.Error())
	}
}

func (h *Handler) injectFault(route string, f Fault) error {
	e, err := parseFault(route, f)
	if err != nil {
		return err
	}
	h.faultMu.Lock()
	h.faults = append(h.faults, e)
	h.nFaults.Store(int32(len(h.faults)))
	h.faultMu.Unlock()
	return nil
}

func parseFault(route string, f Fault) (*faultEntry, error) {
	switch {
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return nil, fmt.Errorf("status %d is not an HTTP status", f.Status)
	case f.Delay < 0 || f.RetryAfter < 0:
		return nil, errors.New("negative delay or retry_after")
	case f.Status == 0 && f.Delay == 0 && !f.DropConnection:
		return nil, errors.New("the fault needs a status, a delay or drop_connection")
	}
	method, path, ok := strings.Cut(strings.TrimSpace(route), " ")
	if !ok {
		method, path = "", method
	}
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("route %q: want \"METHOD /path\" or \"/path\"", route)
	}
	if path == "/_mock" || strings.HasPrefix(path, "/_mock/") {
		return nil, fmt.Errorf("route %q: faults never apply to the /_mock/ controls", route)
	}
	if strings.ContainsAny(path, " ?#") {
		return nil, fmt.Errorf("route %q: the path may not contain spaces, a query or a fragment", route)
	}
	e := &faultEntry{route: route, method: strings.ToUpper(method), fault: f, remaining: f.Count}
	e.segs = strings.Split(path[1:], "/")
	e.fold = strings.EqualFold(e.segs[0], "webapi")
	if f.Count == 0 {
		e.remaining = 1
	}
	return e, nil
}

func (e *faultEntry) matches(method, path string) bool {
	if e.method != "" && e.method != method {
		return false
	}
	if !strings.HasPrefix(path, "/") {
		return false
	}
	p := path[1:]
	for i, seg := range e.segs {
		cur, next, more := strings.Cut(p, "/")
		switch {
		case len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}':
			if cur == "" {
				return false
			}
		case e.fold:
			if !strings.EqualFold(cur, seg) {
				return false
			}
		case cur != seg:
			return false
		}
		if i == len(e.segs)-1 {
			return !more
		}
		if !more {
			return false
		}
		p = next
	}
	return false
}

// takeFault finds the first fault matching the request and spends one of
// its uses.
func (h *Handler) takeFault(method, path string) (Fault, bool) {
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	for i, e := range h.faults {
		if !e.matches(method, path) {
			continue
		}
		if e.remaining > 0 {
			e.remaining--
			if e.remaining == 0 {
				h.faults = append(h.faults[:i], h.faults[i+1:]...)
				h.nFaults.Store(int32(len(h.faults)))
			}
		}
		return e.fault, true
	}
	return Fault{}, false
}

// ClearFaults removes every injected fault.
func (h *Handler) ClearFaults() {
	h.faultMu.Lock()
	h.faults = nil
	h.nFaults.Store(0)
	h.faultMu.Unlock()
}

// serveFault answers a request a fault matched.
func (h *Handler) serveFault(sw *statusWriter, r *http.Request, p otpkit.Provider, path string, f Fault) {
	if f.Delay > 0 && !f.AfterHandler {
		bufferBody(r)
		if !h.hold(r, f.Delay) {
			return // nobody is listening; logged with status 0
		}
	}
	if !f.AfterHandler {
		switch {
		case f.DropConnection:
			h.drop(sw, r, p)
		case f.Status != 0:
			writeProviderError(sw, p, f.Status, f.RetryAfter)
		default:
			h.serveProvider(sw, r, p, path)
		}
		return
	}
	rec := httptest.NewRecorder()
	h.serveProvider(&statusWriter{ResponseWriter: rec}, r, p, path)
	if f.Delay > 0 && !h.hold(r, f.Delay) {
		return // the provider acted; nobody is listening for its answer
	}
	switch {
	case f.DropConnection:
		h.drop(sw, r, p)
	case f.Status != 0:
		writeProviderError(sw, p, f.Status, f.RetryAfter)
	default:
		for k, v := range rec.Header() {
			sw.Header()[k] = v
		}
		sw.WriteHeader(rec.Code)
		sw.Write(rec.Body.Bytes())
	}
}

// hold waits d, and reports false when the wait ended early because the
// client went away or the Server is closing.
func (h *Handler) hold(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-h.closing:
		return false
	}
}

// drop closes the connection without an answer. Where it cannot be
// hijacked (HTTP/2) the handler aborts, which resets the stream; with no
// server at all (a ResponseRecorder) it answers 502.
func (h *Handler) drop(sw *statusWriter, r *http.Request, p otpkit.Provider) {
	conn, _, err := http.NewResponseController(sw).Hijack()
	if err == nil {
		sw.dropped = true
		conn.Close()
		return
	}
	if r.Context().Value(http.ServerContextKey) != nil {
		sw.dropped = true
		panic(http.ErrAbortHandler)
	}
	writeProviderError(sw, p, http.StatusBadGateway, 0)
}

// faultList returns the faults still waiting, for GET /_mock/faults.
func (h *Handler) faultList() []faultView {
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	out := make([]faultView, 0, len(h.faults))
	for _, e := range h.faults {
		out = append(out, faultView{Route: e.route, Remaining: e.remaining, Fault: e.fault})
	}
	return out
}

type faultView struct {
	Route     string
	Remaining int
	Fault     Fault
}

// bufferBody reads r's body (up to one byte past the size limit) and puts
// it back as a buffer. net/http notices a client that went away only once
// the handler has read the body, so without this a delayed POST or PUT
// would sit out its whole delay and then be acted on.
func bufferBody(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = io.NopCloser(bytes.NewReader(b))
}
