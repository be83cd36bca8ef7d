package mock

import (
	"container/heap"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// LOX24's error texts (docs/wire.md, LOX24).
const (
	lox24Unauthorized = "Client ID or API key isn't active or invalid!"
	lox24NoFunds      = "There are not enough funds on your account!"
	lox24Inactive     = "Account isn't activated. Please wait or contact to support!"
	lox24NotFound     = "Not Found"
	lox24IPBlocked    = "IP address was temporary blocked, because during short time from it was sent many request with invalid credentials. Please wait and try later."
	lox24BadPage      = "Page should not be less than 1."
)

// LOX24's limits and timings. The IP block rules are LOX24's; the page size
// and how long codes are kept are the mock's.
const (
	lox24PageSize     = 30
	lox24IPWindow     = 60 * time.Second
	lox24IPMaxFails   = 3 // more than this many bad-credential requests in the window block the IP
	lox24IPBlock      = 10 * time.Minute
	lox24Retention    = 24 * time.Hour // verify codes are forgotten this long after creation
	lox24ProblemType  = "https://tools.ietf.org/html/rfc2616#section-10"
	lox24ProblemTitle = "An error occurred"
)

type lox24State struct {
	codes  map[string]*lox24Code
	byUser map[int]*queue[*lox24Code] // each user's codes in creation order
	all    queue[*lox24Code]          // every code in creation order, for pruning
	due    lox24Due                   // codes being delivered, by the end of their current step
	ips    map[string]*ipRecord
	ipLog  queue[ipEvent] // bad-credential events in time order, for pruning ips
	seq    uint64         // creation counter: orders codes whose steps end together
}

func newLOX24State() lox24State {
	return lox24State{codes: map[string]*lox24Code{}, byUser: map[int]*queue[*lox24Code]{}, ips: map[string]*ipRecord{}}
}

// ipRecord is one IP's recent bad-credential requests and its block.
type ipRecord struct {
	fails        [lox24IPMaxFails + 1]time.Time // the most recent failures, a ring
	next         int
	last         time.Time
	blockedUntil time.Time
}

type ipEvent struct {
	at time.Time
	ip string
}

type lox24Route int

const (
	lox24Bad lox24Route = iota
	lox24CreateRoute
	lox24List
	lox24Get
)

// lox24Answer is what a LOX24 request gets, decided under the lock and
// written after it.
type lox24Answer struct {
	status     int
	detail     string            // problem detail, for an error status
	violations []rules.Violation // for a violation status
	allow      string            // for 405
	retryAfter time.Duration
	body       any // for a success status
}

// serveLOX24 answers every request under /verify_codes. Precedence: IP
// block (429), route (404/405), credentials (401, counted toward a block),
// account (403), body (400/413/422), funds (402).
func (h *Handler) serveLOX24(w *statusWriter, r *http.Request, path string) {
	w.Header()["X-Lox24-Request-Id"] = []string{newLOX24RequestID()}
	route, id, allow := lox24RouteOf(r.Method, path)

	// Body and query are read before the lock; what they say is acted on
	// only after the checks that take precedence.
	var create lox24CreateBody
	var fresh *lox24Code
	page, badPage, tooLarge := 1, false, false
	switch route {
	case lox24CreateRoute:
		body, err := readBody(r)
		switch {
		case err == errTooLarge:
			tooLarge = true
		case err != nil:
			create.malformed = "Syntax error"
		default:
			create = decodeLOX24Create(body, h.cfg.senderIDs)
			if create.malformed == "" && len(create.violations) == 0 {
				fresh = newLOX24Code(&create)
			}
		}
	case lox24List:
		var ok bool
		page, ok = lox24Page(r)
		badPage = !ok
	}

	a := func() lox24Answer {
		now := h.lockedNow()
		defer h.mu.Unlock()
		ip := remoteIP(r)
		st := &h.st
		if rec := st.lox.ips[ip]; rec != nil && rec.blockedUntil.After(now) {
			return lox24Answer{status: http.StatusTooManyRequests, detail: lox24IPBlocked, retryAfter: rec.blockedUntil.Sub(now)}
		}
		switch {
		case route == lox24Bad && allow != "":
			return lox24Answer{status: http.StatusMethodNotAllowed, allow: allow}
		case route == lox24Bad:
			return lox24Answer{status: http.StatusNotFound, detail: lox24NotFound}
		}
		user, ok := h.lox24Users[r.Header.Get("X-LOX24-AUTH-TOKEN")]
		switch {
		case !ok && h.lox24FailLocked(ip, now):
			return lox24Answer{status: http.StatusTooManyRequests, detail: lox24IPBlocked, retryAfter: lox24IPBlock}
		case !ok:
			return lox24Answer{status: http.StatusUnauthorized, detail: lox24Unauthorized}
		case st.inactive:
			return lox24Answer{status: http.StatusForbidden, detail: lox24Inactive}
		}
		switch route {
		case lox24Get:
			c := st.lox.codes[strings.ToLower(id)]
			if !isUUID(id) || c == nil || c.userID != user {
				return lox24Answer{status: http.StatusNotFound, detail: lox24NotFound}
			}
			return lox24Answer{status: http.StatusOK, body: c.wire()}
		case lox24List:
			if badPage {
				return lox24Answer{status: http.StatusBadRequest, detail: lox24BadPage}
			}
			return lox24Answer{status: http.StatusOK, body: st.lox.page(user, page)}
		}
		switch {
		case tooLarge:
			return lox24Answer{status: http.StatusRequestEntityTooLarge, detail: "Request body is larger than 1 MiB."}
		case create.malformed != "":
			return lox24Answer{status: http.StatusBadRequest, detail: create.malformed}
		case fresh == nil:
			return lox24Answer{status: h.cfg.violationStatus, violations: create.violations}
		case st.balanceLimited && st.reserved+fresh.reserved > st.balance:
			return lox24Answer{status: http.StatusPaymentRequired, detail: lox24NoFunds}
		}
		fresh.userID, fresh.created, fresh.updated = user, now, now
		st.reserved += fresh.reserved
		st.lox.add(fresh)
		out := fresh.wire() // status 0 New, before the first step starts
		h.startStepLocked(fresh, 0, now)
		return lox24Answer{status: http.StatusCreated, body: out}
	}()

	switch {
	case a.body != nil:
		writeJSON(w, a.status, jsonCT, marshal(a.body))
	case a.allow != "":
		writeMethodNotAllowed(w, otpkit.ProviderLOX24, a.allow)
	case a.violations != nil:
		writeLOX24Violations(w, a.status, a.violations)
	default:
		setRetryAfter(w, a.retryAfter)
		writeLOX24Problem(w, a.status, a.detail, nil)
	}
}

// lox24RouteOf maps method and path to a route. For a known path with the
// wrong method it returns lox24Bad and the Allow header value.
func lox24RouteOf(method, path string) (route lox24Route, id, allow string) {
	rest := strings.TrimPrefix(path, "/verify_codes")
	switch {
	case rest == "":
		switch method {
		case http.MethodPost:
			return lox24CreateRoute, "", ""
		case http.MethodGet:
			return lox24List, "", ""
		}
		return lox24Bad, "", "GET, POST"
	case len(rest) > 1 && !strings.Contains(rest[1:], "/"):
		if method == http.MethodGet {
			return lox24Get, rest[1:], ""
		}
		return lox24Bad, "", "GET"
	}
	return lox24Bad, "", ""
}

// lox24Page reads ?page=: absent or empty is page 1; anything but a
// positive integer is refused (400), as LOX24's framework does.
func lox24Page(r *http.Request) (int, bool) {
	if r.URL.RawQuery == "" {
		return 1, true
	}
	v := r.URL.Query().Get("page")
	if v == "" {
		return 1, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 1
}

// lox24FailLocked records a bad-credential request from ip and reports
// whether it blocks the IP: the request that makes more than 3 within 60 s
// is already answered 429.
func (h *Handler) lox24FailLocked(ip string, now time.Time) bool {
	lox := &h.st.lox
	rec := lox.ips[ip]
	if rec == nil {
		rec = &ipRecord{}
		lox.ips[ip] = rec
	}
	rec.fails[rec.next] = now
	rec.next = (rec.next + 1) % len(rec.fails)
	rec.last = now
	lox.ipLog.push(ipEvent{at: now, ip: ip})
	n := 0
	for _, t := range rec.fails {
		if !t.IsZero() && now.Sub(t) < lox24IPWindow {
			n++
		}
	}
	if n > lox24IPMaxFails {
		rec.blockedUntil = now.Add(lox24IPBlock)
		rec.fails = [len(rec.fails)]time.Time{}
		return true
	}
	return false
}

func remoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

func (s *lox24State) add(c *lox24Code) {
	s.seq++
	c.seq = s.seq
	s.codes[c.id] = c
	q := s.byUser[c.userID]
	if q == nil {
		q = &queue[*lox24Code]{}
		s.byUser[c.userID] = q
	}
	q.push(c)
	s.all.push(c)
}

// page is one page of a user's codes, newest first.
func (s *lox24State) page(user, page int) []lox24CodeWire {
	out := []lox24CodeWire{}
	q := s.byUser[user]
	if q == nil || page > q.len()/lox24PageSize+1 {
		return out
	}
	first := q.len() - 1 - (page-1)*lox24PageSize
	for i := first; i >= 0 && i > first-lox24PageSize; i-- {
		out = append(out, q.at(i).wire())
	}
	return out
}

// prune forgets codes older than lox24Retention (all long finished:
// the longest routing strategy takes about an hour) and IP records that
// neither block nor count any more.
func (s *lox24State) prune(now time.Time) {
	for s.all.len() > 0 {
		c := s.all.front()
		if now.Sub(c.created) < lox24Retention || !c.status.Terminal() {
			break
		}
		s.all.pop()
		delete(s.codes, c.id)
		if q := s.byUser[c.userID]; q != nil && q.len() > 0 && q.front() == c {
			q.pop()
			if q.len() == 0 {
				delete(s.byUser, c.userID)
			}
		}
	}
	for s.ipLog.len() > 0 {
		ev := s.ipLog.front()
		if now.Sub(ev.at) < lox24IPWindow+lox24IPBlock {
			break
		}
		s.ipLog.pop()
		if rec := s.ips[ev.ip]; rec != nil && !rec.last.After(ev.at) && !rec.blockedUntil.After(now) {
			delete(s.ips, ev.ip)
		}
	}
}

// ---------------------------------------------------------------------------
// Wire forms

type lox24Violation struct {
	PropertyPath string `json:"propertyPath"`
	Message      string `json:"message"`
	Code         string `json:"code"`
}

type lox24Problem struct {
	Type       string           `json:"type"`
	Title      string           `json:"title"`
	Detail     string           `json:"detail"`
	Violations []lox24Violation `json:"violations,omitempty"`
}

func writeLOX24Problem(w http.ResponseWriter, status int, detail string, vs []lox24Violation) {
	writeJSON(w, status, problemCT, marshal(lox24Problem{lox24ProblemType, lox24ProblemTitle, detail, vs}))
}

// writeLOX24Violations answers constraint violations: detail joins them as
// "path: message" lines.
func writeLOX24Violations(w http.ResponseWriter, status int, vs []rules.Violation) {
	out := make([]lox24Violation, len(vs))
	lines := make([]string, len(vs))
	for i, v := range vs {
		out[i] = lox24Violation{v.Field, v.Message, v.Code}
		lines[i] = v.Field + ": " + v.Message
	}
	writeLOX24Problem(w, status, strings.Join(lines, "\n"), out)
}

// lox24StatusDetail is LOX24's text for a bare status.
func lox24StatusDetail(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return lox24Unauthorized
	case http.StatusPaymentRequired:
		return lox24NoFunds
	case http.StatusForbidden:
		return lox24Inactive
	case http.StatusNotFound:
		return lox24NotFound
	case http.StatusTooManyRequests:
		return lox24IPBlocked
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

// lox24Due is a min-heap of the codes being delivered, by stepEnd.
type lox24Due []*lox24Code

func (d lox24Due) Len() int { return len(d) }
func (d lox24Due) Less(i, j int) bool {
	if d[i].stepEnd.Equal(d[j].stepEnd) {
		return d[i].seq < d[j].seq
	}
	return d[i].stepEnd.Before(d[j].stepEnd)
}
func (d lox24Due) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *lox24Due) Push(x any)   { *d = append(*d, x.(*lox24Code)) }
func (d *lox24Due) Pop() any {
	old := *d
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*d = old[:len(old)-1]
	return c
}

var _ heap.Interface = (*lox24Due)(nil)
