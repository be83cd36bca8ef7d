package otpkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/otpkit/otpkit/internal/memdedup"
)

// Defaults of NewLOX24WebhookHandler.
const (
	// DefaultWebhookMaxBody is the largest webhook body read (64 KiB); a
	// verify code event is a few KiB at most.
	DefaultWebhookMaxBody int64 = 64 << 10
	// DefaultWebhookLease is how long a claimed event is held while fn runs:
	// longer than any sender waits for an answer, so a retry never runs fn
	// beside a first delivery still running.
	DefaultWebhookLease = 5 * time.Minute
	// DefaultWebhookKeep is how long a handled event id is remembered: far
	// longer than LOX24's retries take (the 4th attempt comes 36 minutes
	// after the 1st).
	DefaultWebhookKeep = 24 * time.Hour
	// MaxWebhookEventIDBytes is the longest event id the handler accepts;
	// a longer one is answered 400 without calling fn or the Deduper.
	// LOX24's ids are UUIDs (36 bytes), and a dedup record must stay small
	// whatever a forged event says.
	MaxWebhookEventIDBytes = memdedup.MaxIDBytes
)

// WebhookOption configures NewLOX24WebhookHandler.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	tokenSet bool
	noToken  bool              // WithoutWebhookToken
	token    [sha256.Size]byte // compared as hashes: in constant time whatever the lengths
	maxBody  int64
	dedup    Deduper
	lease    time.Duration
	keep     time.Duration
}

// WithWebhookToken makes the handler answer 401, without calling fn, unless
// the request's token query parameter equals token (compared in constant
// time). Register the URL with it, e.g.
// https://app.example/hooks/lox24?token=…, and keep the token as secret as
// an API key. An empty token accepts no request at all, so a token variable
// that was never set fails closed rather than open.
func WithWebhookToken(token string) WebhookOption {
	return func(c *webhookConfig) {
		c.tokenSet = true
		c.token = sha256.Sum256([]byte(token))
		if token == "" {
			c.token = [sha256.Size]byte{} // no request's token hashes to this
		}
	}
}

// WithoutWebhookToken lets NewLOX24WebhookHandler serve without
// WithWebhookToken: every well-formed event runs fn, whoever sends it. Use
// it only where something else authenticates LOX24's requests (a proxy that
// checks the token or the source, a private network): LOX24 signs nothing,
// so the token is a webhook's only authentication, and without it anyone
// who finds the URL can make fn run with events of their own. A
// WithWebhookToken given as well is still checked.
func WithoutWebhookToken() WebhookOption {
	return func(c *webhookConfig) { c.noToken = true }
}

// WithWebhookMaxBody sets the largest body the handler reads (default
// DefaultWebhookMaxBody); a larger one is answered 413 unread. n <= 0 keeps
// the default.
func WithWebhookMaxBody(n int64) WebhookOption {
	return func(c *webhookConfig) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithWebhookDedup records handled events in d instead of the handler's own
// memory, so that every app instance sharing d handles each event once:
// give each instance a redisstore.Store on the same Redis (or a
// verify.MemoryStore shared by several handlers of one process). A nil d
// keeps the default.
func WithWebhookDedup(d Deduper) WebhookOption {
	return func(c *webhookConfig) {
		if d != nil {
			c.dedup = d
		}
	}
}

// WithWebhookLease sets how long an event is claimed while fn runs (default
// DefaultWebhookLease) and how long a handled event id is remembered
// (default DefaultWebhookKeep). A value <= 0 keeps that default.
func WithWebhookLease(lease, keep time.Duration) WebhookOption {
	return func(c *webhookConfig) {
		if lease > 0 {
			c.lease = lease
		}
		if keep > 0 {
			c.keep = keep
		}
	}
}

// NewLOX24WebhookHandler returns the http.Handler to register as a LOX24
// webhook URL. For each POST it checks the token (WithWebhookToken), reads
// the body once up to WithWebhookMaxBody, parses it with ParseLOX24Event and
// calls fn with the request's context, once per event id however often and
// however concurrently the event is delivered. The answers:
//
//	200  fn returned nil, or the event id was already handled or is being handled
//	400  the body is not an event, or its id is longer than MaxWebhookEventIDBytes
//	401  the token is wrong or missing (fn is not called)
//	405  another method than POST (with Allow: POST)
//	413  the body is larger than the limit
//	500  fn returned an error or panicked, or the Deduper failed: the event
//	     is not marked handled, so the sender's retry runs fn again
//
// fn should return quickly (LOX24 gives up on an answer after a few
// seconds and retries): queue slow work and return nil. The handler never
// logs and never echoes the body or the token.
//
// It panics, as http.ServeMux does on a programmer's error, when neither
// WithWebhookToken nor WithoutWebhookToken is given: LOX24 webhooks are
// unsigned, so a handler without a token would run fn for anyone's forged
// events. A panic at start-up is found by the first test or deploy; a
// handler answering 401 to everything would be found only when events
// went missing. (A token variable that is set but empty still starts, and
// fails closed: see WithWebhookToken.)
func NewLOX24WebhookHandler(fn func(context.Context, *LOX24Event) error, opts ...WebhookOption) http.Handler {
	cfg := webhookConfig{maxBody: DefaultWebhookMaxBody, lease: DefaultWebhookLease, keep: DefaultWebhookKeep}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if !cfg.tokenSet && !cfg.noToken {
		panic("otpkit: NewLOX24WebhookHandler without WithWebhookToken: LOX24 webhooks are unsigned, the token is their only authentication; " +
			"pass WithWebhookToken(token), or WithoutWebhookToken() if something else authenticates the requests")
	}
	if cfg.dedup == nil {
		cfg.dedup = memdedup.New(time.Now)
	}
	return &webhookHandler{cfg: cfg, fn: fn}
}

type webhookHandler struct {
	cfg webhookConfig
	fn  func(context.Context, *LOX24Event) error
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		webhookAnswer(w, http.StatusMethodNotAllowed)
		return
	}
	if h.cfg.tokenSet && !h.tokenOK(r) {
		webhookAnswer(w, http.StatusUnauthorized)
		return
	}
	if r.ContentLength > h.cfg.maxBody {
		webhookAnswer(w, http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			webhookAnswer(w, http.StatusRequestEntityTooLarge)
		} else {
			webhookAnswer(w, http.StatusBadRequest)
		}
		return
	}
	ev, err := ParseLOX24Event(body)
	if err != nil || len(ev.ID) > MaxWebhookEventIDBytes {
		webhookAnswer(w, http.StatusBadRequest)
		return
	}
	webhookAnswer(w, h.handle(r.Context(), ev))
}

// tokenOK compares the token query parameter with the configured one in
// constant time: both are hashed first, so not even the length leaks.
func (h *webhookHandler) tokenOK(r *http.Request) bool {
	got := sha256.Sum256([]byte(r.URL.Query().Get("token")))
	return subtle.ConstantTimeCompare(got[:], h.cfg.token[:]) == 1
}

// handle runs fn once per event id: claim, run, then mark done or release.
// A panic in fn releases the claim (so the retry runs fn again) and goes on
// up to net/http. The claim's holder is this delivery alone (128 random
// bits), so a release never drops another delivery's claim.
func (h *webhookHandler) handle(ctx context.Context, ev *LOX24Event) (status int) {
	d := h.cfg.dedup
	holder := rand.Text()
	got, err := d.Claim(ctx, ev.ID, holder, h.cfg.lease)
	if err != nil {
		return http.StatusInternalServerError // fail closed: the sender retries
	}
	if !got {
		return http.StatusOK
	}
	// The sender may hang up while fn runs; what fn did must still be
	// recorded.
	bg := context.WithoutCancel(ctx)
	done := false
	defer func() {
		if !done {
			_ = d.Release(bg, ev.ID, holder)
		}
	}()
	if err := h.fn(ctx, ev); err != nil {
		return http.StatusInternalServerError
	}
	done = true
	// fn succeeded: even if recording that fails, the answer is 200, since
	// a 500 would only make the sender retry an event already handled.
	_ = d.Done(bg, ev.ID, h.cfg.keep)
	return http.StatusOK
}

// webhookAnswer writes a status with its standard text: never anything
// taken from the request.
func webhookAnswer(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, http.StatusText(status)+"\n")
}
