package mock

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otpkit/otpkit"
)

// Handler serves the three providers' APIs and the /_mock/ control API from
// one in-memory state. It is an http.Handler: mount it in an
// httptest.Server (NewServer does), in a standalone binary, or call
// ServeHTTP directly. It is safe for concurrent use; every state change
// happens under one short-held lock, so concurrent checks of a verification
// count exactly.
type Handler struct {
	cfg   config
	clock *clock

	// Read-only after NewHandler: the accepted credentials.
	lox24Users map[string]int      // token → user_id
	tryvoxKeys map[string][]string // API key → its tenants

	closing   chan struct{} // closed by Server.Close: ends injected delays
	closeOnce sync.Once
	shutdown  shutdownSignal // POST /_mock/shutdown

	mu sync.Mutex // guards st
	st state

	logMu sync.Mutex // guards log; separate from mu so logging never waits on state work
	log   ring[Request]

	whSend webhookSender // sends LOX24 webhooks, outside mu

	faultMu sync.Mutex // guards faults
	faults  []*faultEntry
	nFaults atomic.Int32 // len(faults), read without the lock on every request
}

// state is everything Reset clears.
type state struct {
	outbox       outbox
	outcomes     map[outcomeKey]Outcome
	numberStatus map[string]string

	// LOX24 account.
	balance        int
	balanceLimited bool
	reserved       int // the worst-case cost of verify codes still running
	inactive       bool
	senderIDs      []string

	lox lox24State
	wh  *webhookState
	tv  tryvoxState
	dd  dotdigitalState

	peaks peaks // see shrink
}

type outcomeKey struct {
	recipient string
	channel   otpkit.Channel
}

// NewHandler returns a Handler configured by opts. It panics when an option
// was given an unusable value (see Option).
func NewHandler(opts ...Option) *Handler {
	cfg := newConfig(opts)
	h := &Handler{
		cfg:        cfg,
		clock:      newClock(&cfg),
		lox24Users: map[string]int{},
		tryvoxKeys: map[string][]string{},
		closing:    make(chan struct{}),
		log:        newRing[Request](cfg.maxRequests),
	}
	for _, t := range cfg.lox24Tokens {
		h.lox24Users[t] = userIDOf(t)
	}
	for _, c := range cfg.tryvoxCreds {
		h.tryvoxKeys[c.key] = append(h.tryvoxKeys[c.key], c.tenant)
	}
	h.st = h.newState()
	h.whSend.active.Store(cfg.lox24Webhook != "")
	return h
}

func (h *Handler) newState() state {
	return state{
		outbox:         newOutbox(h.cfg.maxMessages),
		balance:        h.cfg.balance,
		balanceLimited: h.cfg.balanceLimited,
		inactive:       h.cfg.inactive,
		senderIDs:      h.cfg.senderIDs,
		lox:            newLOX24State(),
		wh:             newWebhookState(h.cfg.lox24Webhook),
		tv:             newTryvoxState(),
		dd:             newDotdigitalState(),
	}
}

// lockedNow takes the state lock, brings the state up to the clock's now
// (delivers due LOX24 steps, prunes what expired) and returns now. Reading
// the clock under the lock keeps every state change in time order. The
// caller unlocks h.mu.
func (h *Handler) lockedNow() time.Time {
	h.mu.Lock()
	now := h.clock.now()
	h.tickLocked(now)
	return now
}

// tickLocked processes everything due at now. Both parts cost nothing when
// nothing is due, so every request can afford it.
func (h *Handler) tickLocked(now time.Time) {
	h.deliverDueLocked(now)
	h.pruneLocked(now)
}

// ServeHTTP answers one request: a /_mock/ control request, or a provider
// request (after any injected fault), which is then logged.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := ""
	if r.URL != nil {
		path = r.URL.Path
	}
	control := path == "/_mock" || strings.HasPrefix(path, "/_mock/")
	if h.guard(w, r, control) {
		return
	}
	if control {
		h.serveControl(w, r, path)
		h.DeliverWebhooks()
		return
	}
	p := providerOf(path)
	sw := &statusWriter{ResponseWriter: w}
	defer h.finish(sw, r, path, p, h.clock.now())
	defer h.DeliverWebhooks() // what this request made due, before it returns (a LOX24 create sends before answering)
	if h.nFaults.Load() > 0 {
		if f, ok := h.takeFault(r.Method, path); ok {
			sw.fault = true
			h.serveFault(sw, r, p, path, f)
			return
		}
	}
	h.serveProvider(sw, r, p, path)
}

func (h *Handler) serveProvider(w *statusWriter, r *http.Request, p otpkit.Provider, path string) {
	switch p {
	case otpkit.ProviderLOX24:
		h.serveLOX24(w, r, path)
	case otpkit.ProviderTryvox:
		h.serveTryvox(w, r, path)
	case otpkit.ProviderDotdigital:
		h.serveDotdigital(w, r, path)
	default:
		writeJSON(w, http.StatusNotFound, jsonCT, notFoundBody)
	}
}

// finish logs the request and is the last line of defence: a panic in a
// handler becomes a provider-shaped 500 instead of a dropped connection.
// (The tests make sure no request reaches it.) http.ErrAbortHandler, the
// way a dropped-connection fault aborts, passes through.
func (h *Handler) finish(sw *statusWriter, r *http.Request, path string, p otpkit.Provider, arrived time.Time) {
	v := recover()
	if v != nil && v != http.ErrAbortHandler && !sw.dropped {
		if sw.status == 0 {
			writeProviderError(sw, p, http.StatusInternalServerError, 0)
		}
	}
	h.logMu.Lock()
	h.log.push(Request{Method: internMethod(truncate(r.Method, maxLoggedMethod)), Path: internPath(truncate(path, maxLoggedPath)), Provider: p,
		Status: sw.status, Time: arrived, Fault: sw.fault})
	h.logMu.Unlock()
	if v == http.ErrAbortHandler {
		panic(v)
	}
}

// providerOf names the provider a path belongs to, by prefix: LOX24
// /verify_codes, Tryvox /v1, dotdigital /webapi in any case.
func providerOf(path string) otpkit.Provider {
	switch {
	case path == "/verify_codes" || strings.HasPrefix(path, "/verify_codes/"):
		return otpkit.ProviderLOX24
	case path == "/v1" || strings.HasPrefix(path, "/v1/"):
		return otpkit.ProviderTryvox
	case len(path) >= 7 && strings.EqualFold(path[:7], "/webapi") && (len(path) == 7 || path[7] == '/'):
		return otpkit.ProviderDotdigital
	}
	return ""
}

// internPath returns a shared copy of the paths that every flow uses, so the
// request log does not keep one string per request for them.
func internPath(p string) string {
	switch p {
	case "/verify_codes":
		return "/verify_codes"
	case "/v1/verify/start":
		return "/v1/verify/start"
	case "/v1/verify/check":
		return "/v1/verify/check"
	case "/webapi/verify":
		return "/webapi/verify"
	}
	return p
}

func internMethod(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	}
	return m
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status  int
	fault   bool // an injected fault answered or delayed the request
	dropped bool // the connection was dropped on purpose
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (for Hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
