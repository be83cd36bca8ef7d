// Package otpkit is a client for hosted phone-verification (one-time code)
// APIs: LOX24 verify codes, Tryvox verify and dotdigital CPaaS Verify.
//
// One Client serves all three providers. Every call takes a context first,
// returns typed errors that match the sentinels of this package with
// errors.Is (ErrInvalidCode, ErrNotFound, ...) and an *APIError with
// errors.As, and never retries a request that may have sent a message or
// spent an attempt. The sibling package mock serves all three APIs in
// process for tests.
package otpkit

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/otpkit/otpkit/internal/rules"
)

// Version is the version of otpkit, sent in the User-Agent header.
const Version = "0.1.0"

// The providers' production base URLs.
const (
	DefaultLOX24URL      = "https://api.lox24.eu"
	DefaultTryvoxURL     = "https://api.tryvox.io"
	DefaultDotdigitalURL = "https://services.comapi.com"
)

// Default timeouts for one call, retries included. dotdigital asks its
// clients to wait at least 130 s.
const (
	DefaultTimeout           = 30 * time.Second
	DefaultDotdigitalTimeout = 130 * time.Second
)

// MaxResponseBytes caps how much of a response body the client reads. A
// success body larger than this is an error (ErrServer); an error body is
// cut.
const MaxResponseBytes = 1 << 20

// Client calls the three providers. Create one with NewClient and share it:
// it is safe for concurrent use, keeps its connections alive between calls
// and holds no global state.
type Client struct {
	// The credentials are reached through a function: where fmt cannot
	// call Format (a Client in an unexported field of your struct) it
	// prints a func as an address with every verb, whereas it would print
	// what a pointer points to with some (%s, %q, %x).
	secrets func() *credentials

	lox24URL, tryvoxURL, dotdigitalURL *url.URL
	lox24EP, tryvoxEP, dotdigitalEP    endpoint

	httpClient *http.Client
	timeout    time.Duration // 0: not set by the user
	retry      RetryPolicy
	userAgent  string
	// The header values every call sends, made once: a call puts these
	// slices into its request instead of allocating its own (net/http only
	// reads them).
	userAgentHeader []string
	logger          *slog.Logger

	rc *retryablehttp.Client
}

// creds returns c's credentials; a zero Client (not made by NewClient) has
// none.
func (c *Client) creds() *credentials {
	if c.secrets == nil {
		return &credentials{}
	}
	return c.secrets()
}

// credentials are a Client's secrets, kept as the header values they are
// sent as, plus those values as the header slices a call sends.
type credentials struct {
	lox24Token               string
	tryvoxAuth, tryvoxTenant string
	dotdigitalAuth           string

	lox24Header, tryvoxAuthHeader, tryvoxTenantHeader, dotdigitalHeader []string
}

// Option configures a Client. An option that gets an unusable value makes
// NewClient fail with an error saying which.
type Option func(*Client) error

// NewClient returns a Client configured by opts. Without options it talks to
// the providers' production URLs but has no credentials, so every call fails
// with ErrMissingCredentials; give the credentials of the providers you use.
func NewClient(opts ...Option) (*Client, error) {
	cr := &credentials{}
	c := &Client{
		secrets:       func() *credentials { return cr },
		lox24URL:      mustParse(DefaultLOX24URL),
		tryvoxURL:     mustParse(DefaultTryvoxURL),
		dotdigitalURL: mustParse(DefaultDotdigitalURL),
		retry:         DefaultRetryPolicy(),
		userAgent:     "otpkit-go/" + Version,
		logger:        slog.New(discardHandler{}),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Transport: newTransport()}
	}
	if c.httpClient.Transport == nil {
		c.httpClient.Transport = http.DefaultTransport
	}
	// Redirects are not followed: the APIs never redirect, and net/http
	// would forward X-LOX24-AUTH-TOKEN and X-Tenant-ID to any host. A 3xx
	// is an error (ErrServer) instead.
	c.httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// retryablehttp closes idle connections whenever a call gives up; on a
	// shared pool that would cut every other call's connections, so it gets
	// a transport that ignores that. (*Client).CloseIdleConnections still
	// reaches the real one. onceWrites keeps the transport from replaying
	// a write.
	rcHTTP := *c.httpClient
	rcHTTP.Transport = keepIdle{onceWrites{c.httpClient.Transport}}
	protos := map[string]*hostProtocol{}
	c.lox24EP, c.tryvoxEP, c.dotdigitalEP = newEndpoint(c.lox24URL, protos), newEndpoint(c.tryvoxURL, protos), newEndpoint(c.dotdigitalURL, protos)
	c.userAgentHeader = []string{c.userAgent}
	cr.lox24Header = []string{cr.lox24Token}
	cr.tryvoxAuthHeader, cr.tryvoxTenantHeader = []string{cr.tryvoxAuth}, []string{cr.tryvoxTenant}
	cr.dotdigitalHeader = []string{cr.dotdigitalAuth}
	c.rc = &retryablehttp.Client{
		HTTPClient:   &rcHTTP,
		Logger:       nil, // retryablehttp's own debug lines are off; we log ourselves
		RetryWaitMin: c.retry.MinWait,
		RetryWaitMax: c.retry.MaxWait,
		RetryMax:     c.retry.MaxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler, // keep the provider's last answer
	}
	return c, nil
}

// keepIdle hides its RoundTripper's CloseIdleConnections.
type keepIdle struct{ http.RoundTripper }

// CloseIdleConnections closes the connections the client keeps alive
// between calls. Calls in flight are not affected.
func (c *Client) CloseIdleConnections() { c.httpClient.CloseIdleConnections() }

// newTransport is http.DefaultTransport with room for many concurrent calls
// to the same host, so goroutines sharing a Client reuse connections, and
// an idle timeout below the load balancers' (DefaultIdleConnTimeout).
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = DefaultIdleConnTimeout
	return t
}

// DefaultIdleConnTimeout is how long the default transport keeps an idle
// connection: 50 s, below the idle timeout of the common load balancers
// and proxies in front of APIs (AWS Application Load Balancer 60 s, the
// lowest; nginx keepalive_timeout 75 s; Azure Load Balancer 4 min; Google
// Cloud load balancers 600 s; AWS Network Load Balancer 350 s). The client
// then closes an idle connection before the server side does, rather than
// writing a request into one the server has just closed (net/http's
// default, 90 s, is above the first two). Servers with shorter timeouts
// (Apache's 5 s, Node.js's 5 s) still close first now and then: a write
// found a dead kept-alive connection before any byte was written is sent
// again on a fresh one (see onceWrites), anything else is ErrUnavailable.
const DefaultIdleConnTimeout = 50 * time.Second

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// WithLOX24Token sets the LOX24 token, "<clientId>:<apiKey>", sent as
// X-LOX24-AUTH-TOKEN.
func WithLOX24Token(token string) Option {
	return func(c *Client) error {
		if _, ok := rules.LOX24Token(token); !ok {
			return errors.New(`otpkit: WithLOX24Token: the token must look like "<clientId>:<apiKey>" (digits, colon, key)`)
		}
		c.creds().lox24Token = token
		return nil
	}
}

// WithTryvoxKey sets the Tryvox API key (sent as a Bearer token; tvx_sk_live_…
// or tvx_sk_test_…) and the tenant id (sent as X-Tenant-ID; acc_…).
func WithTryvoxKey(apiKey, tenantID string) Option {
	return func(c *Client) error {
		if !rules.HeaderSafe(apiKey) {
			return errors.New("otpkit: WithTryvoxKey: the API key is empty or has spaces or control characters")
		}
		if !rules.HeaderSafe(tenantID) {
			return errors.New("otpkit: WithTryvoxKey: the tenant id is empty or has spaces or control characters")
		}
		c.creds().tryvoxAuth, c.creds().tryvoxTenant = "Bearer "+apiKey, tenantID
		return nil
	}
}

// WithDotdigitalAuth sets the dotdigital API user's name and password, sent
// with HTTP Basic authentication.
func WithDotdigitalAuth(username, password string) Option {
	return func(c *Client) error {
		if !rules.BasicUser(username) {
			return errors.New("otpkit: WithDotdigitalAuth: the username is empty or has a colon, spaces or control characters")
		}
		if password == "" {
			return errors.New("otpkit: WithDotdigitalAuth: the password is empty")
		}
		c.creds().dotdigitalAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
		return nil
	}
}

// WithBaseURL points all three providers at one host, such as the mock
// (mock.Server.URL). A path in u is kept as a prefix.
func WithBaseURL(u string) Option {
	return func(c *Client) error {
		parsed, err := parseBaseURL("WithBaseURL", u)
		if err != nil {
			return err
		}
		c.lox24URL, c.tryvoxURL, c.dotdigitalURL = parsed, parsed, parsed
		return nil
	}
}

// WithLOX24URL sets the LOX24 base URL alone.
func WithLOX24URL(u string) Option {
	return withURL("WithLOX24URL", u, func(c *Client) **url.URL { return &c.lox24URL })
}

// WithTryvoxURL sets the Tryvox base URL alone.
func WithTryvoxURL(u string) Option {
	return withURL("WithTryvoxURL", u, func(c *Client) **url.URL { return &c.tryvoxURL })
}

// WithDotdigitalURL sets the dotdigital base URL alone.
func WithDotdigitalURL(u string) Option {
	return withURL("WithDotdigitalURL", u, func(c *Client) **url.URL { return &c.dotdigitalURL })
}

func withURL(name, u string, field func(*Client) **url.URL) Option {
	return func(c *Client) error {
		parsed, err := parseBaseURL(name, u)
		if err != nil {
			return err
		}
		*field(c) = parsed
		return nil
	}
}

func parseBaseURL(name, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otpkit: %s: %q is not an absolute http or https URL", name, redactURL(s))
	}
	if u.User != nil {
		return nil, fmt.Errorf("otpkit: %s: credentials in the URL are not allowed; use the With…Auth options", name)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("otpkit: %s: the base URL may not have a query or fragment", name)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// redactURL is a refused base URL as an error may show it: without user
// info (everything up to the last "@", since a password may hold "@", "/"
// or "?"), without query or fragment, and at most 100 bytes.
func redactURL(s string) string {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			s = s[:j+3] + "…" + s[i:]
		} else {
			s = "…" + s[i:]
		}
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "…"
	}
	if len(s) > 100 {
		s = strings.ToValidUTF8(s[:100], "") + "…"
	}
	return s
}

// WithHTTPClient sets the HTTP client the calls go through (its transport,
// proxy and TLS settings). The client is copied; its Timeout still applies
// to each attempt, its CheckRedirect does not (redirects are never
// followed). Whatever the transport, it can resend a write's body only
// where net/http's HTTP/1 transport asks for it, after finding a kept-alive
// connection dead with nothing of the request written; it cannot replay a
// write over HTTP/2 (which Go's HTTP/2 client would after a reset stream).
// The resend is offered only for hosts this Client has seen answer over
// HTTP/1, so on a transport shared with other code the first write to a
// host can fail as unavailable where a resend would have helped. Keep its
// idle timeout below your load balancer's (see DefaultIdleConnTimeout).
// nil is an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("otpkit: WithHTTPClient: nil *http.Client")
		}
		cp := *hc
		c.httpClient = &cp
		return nil
	}
}

// WithTimeout sets how long one call may take, retries and waits included
// (default 30 s; dotdigital 130 s unless this option is given). It must be
// positive.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("otpkit: WithTimeout: %v is not a positive duration", d)
		}
		c.timeout = d
		return nil
	}
}

// WithUserAgent appends product to the User-Agent header
// ("otpkit-go/<version> product").
func WithUserAgent(product string) Option {
	return func(c *Client) error {
		if strings.ContainsFunc(product, unicode.IsControl) {
			return errors.New("otpkit: WithUserAgent: line breaks and other control characters are not allowed")
		}
		if product = strings.TrimSpace(product); product != "" {
			c.userAgent = "otpkit-go/" + Version + " " + product
		}
		return nil
	}
}

// WithLogger logs one line per call to l: provider, method, host, path,
// status, attempts and duration. Bodies, headers, credentials and codes are
// never logged. The default is silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l == nil {
			l = slog.New(discardHandler{})
		}
		c.logger = l
		return nil
	}
}

// discardHandler is a slog.Handler that drops everything.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// Format implements fmt.Formatter: a Client prints which providers it has
// credentials for, never the credentials. It has a value receiver so that a
// Client value (*c, or a field of a struct being printed) hides them too.
func (c Client) Format(f fmt.State, _ rune) {
	cr := c.creds()
	fmt.Fprintf(f, "otpkit.Client{lox24:%t tryvox:%t dotdigital:%t}",
		cr.lox24Token != "", cr.tryvoxAuth != "", cr.dotdigitalAuth != "")
}

// ---------------------------------------------------------------------------
// The one request path every call goes through.

// request describes one API call.
type request struct {
	provider Provider
	method   string
	path     string // escaped, from the provider's base URL
	query    string
	body     any // JSON-encoded when non-nil
	// write marks a request that may send a message or spend an attempt:
	// it is retried only when the connection failed before it was written.
	write bool
}

// callState travels with an attempt's context to checkRetry. It is that
// context itself (the call's context plus this value), which saves the
// allocation of a context.WithValue on every call.
type callState struct {
	context.Context // the call's: the caller's context with the call's timeout

	write    bool // see request.write
	attempts int
	reached  bool // an attempt may have reached the server (anything but a refused dial or DNS failure)

	replays replayBound // reads only: see replaybound.go
	rewind  writeRewind // writes only: see writeonce.go
}

type callStateKey struct{}

// Value returns s for callStateKey, else the call context's value.
func (s *callState) Value(key any) any {
	if _, ok := key.(callStateKey); ok {
		return s
	}
	return s.Context.Value(key)
}

// bufPool recycles response buffers: a call reads its body into one and
// decodes from it, so steady traffic allocates no new body memory.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// do sends r and decodes a 2xx body into out (when out is non-nil). Any
// other answer is an *APIError. Status 204 from dotdigital is ErrNotFound.
func (c *Client) do(ctx context.Context, r request, out any) error {
	if ctx == nil {
		return &ValidationError{Field: "ctx", Reason: "nil context"}
	}
	base, err := c.endpoint(r.provider)
	if err != nil {
		return notSentError(err)
	}
	timeout := c.timeout
	if timeout == 0 {
		timeout = DefaultTimeout
		if r.provider == ProviderDotdigital {
			timeout = DefaultDotdigitalTimeout
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	state := &callState{Context: callCtx, write: r.write}
	reqCtx := context.Context(state)
	switch {
	case !r.write:
		reqCtx = state.boundReplays(c, cancel)
	case base.proto.isHTTP1(): // see onceWrites
		reqCtx = state.rewindWrites(base.proto)
	}

	var rawBody any // nil, or the encoded JSON body
	if r.body != nil {
		payload, err := json.Marshal(r.body)
		if err != nil {
			return notSentError(fmt.Errorf("otpkit: encoding the %s request: %w", r.provider, err))
		}
		rawBody = payload
	}
	u := base.url + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	req, err := retryablehttp.NewRequestWithContext(reqCtx, r.method, u, rawBody)
	if err != nil {
		return notSentError(fmt.Errorf("otpkit: building the %s request: %w", r.provider, err))
	}
	c.setHeaders(req.Header, r.provider, rawBody != nil)

	start := time.Now()
	resp, err := c.rc.Do(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
		base.proto.set(resp.ProtoMajor == 1)
	}
	if c.logger.Enabled(ctx, slog.LevelInfo) {
		defer func() {
			c.logger.LogAttrs(ctx, slog.LevelInfo, "otpkit request",
				slog.String("provider", string(r.provider)), slog.String("method", r.method),
				slog.String("host", base.host), slog.String("path", base.path+r.path),
				slog.Int("status", status), slog.Int("attempts", state.attempts+state.replays.retries),
				slog.Duration("duration", time.Since(start)))
		}()
	}
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return c.transportError(ctx, reqCtx, r, timeout, err)
	}
	defer resp.Body.Close()

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 { // don't keep a rare huge body alive
			bufPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxResponseBytes+1)); err != nil {
		if ctx.Err() != nil || callCtx.Err() != nil {
			return c.transportError(ctx, reqCtx, r, timeout, err)
		}
		// The connection broke before the whole answer: the status arrived,
		// so it is an *APIError, and unavailable like any broken connection.
		return unavailableError(c.badResponse(r, resp, "the response body was cut off", nil), false)
	}
	body := buf.Bytes()
	if resp.StatusCode < 200 || resp.StatusCode > 299 ||
		(resp.StatusCode == http.StatusNoContent && r.provider == ProviderDotdigital) {
		return parseAPIError(r.provider, r.method, r.path, resp, body)
	}
	if len(body) > MaxResponseBytes {
		return c.badResponse(r, resp, fmt.Sprintf("the response body exceeds %d bytes", MaxResponseBytes), nil)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return c.badResponse(r, resp, "the response body is not the documented JSON", body)
	}
	if w, ok := out.(wireForm); ok {
		if field := w.missing(); field != "" {
			// A success answer without what identifies the object (a
			// proxy's "{}", another API's object): the caller could not go
			// on with it. Its status and request id say which answer.
			return c.badResponse(r, resp, "the response has no "+field, nil)
		}
	}
	return nil
}

// wireForm is a decoding form that knows which members a success answer
// must have: missing names the first one absent, "" when none is.
type wireForm interface{ missing() string }

// badResponse is the error for a success status whose body cannot be used.
// It matches ErrServer.
// The body is kept for diagnosis with the values of "code" members
// redacted (see redactCodes): a LOX24 success body carries the
// verification code.
func (c *Client) badResponse(r request, resp *http.Response, msg string, body []byte) *APIError {
	e := parseAPIError(r.provider, r.method, r.path, resp, nil)
	e.Message = msg
	if len(body) > 0 {
		body = redactCodes(body)
		e.Body = bytes.Clone(body[:min(len(body), maxErrorBody)])
	}
	return e
}

// endpoint is a provider's base URL, split once for building and logging,
// and what the client learnt of its host's protocol.
type endpoint struct {
	url, host, path string
	proto           *hostProtocol
}

// newEndpoint makes u's endpoint; protos holds the hosts' hostProtocol, so
// that providers on one host (WithBaseURL) share it.
func newEndpoint(u *url.URL, protos map[string]*hostProtocol) endpoint {
	key := u.Scheme + "://" + u.Host
	p := protos[key]
	if p == nil {
		p = &hostProtocol{}
		protos[key] = p
	}
	return endpoint{url: u.String(), host: u.Host, path: u.Path, proto: p}
}

// endpoint checks the credentials for p and returns its base URL.
func (c *Client) endpoint(p Provider) (endpoint, error) {
	cr := c.creds()
	switch p {
	case ProviderLOX24:
		if cr.lox24Token == "" {
			return endpoint{}, fmt.Errorf("%w: no LOX24 token (use WithLOX24Token)", ErrMissingCredentials)
		}
		return c.lox24EP, nil
	case ProviderTryvox:
		if cr.tryvoxAuth == "" {
			return endpoint{}, fmt.Errorf("%w: no Tryvox API key (use WithTryvoxKey)", ErrMissingCredentials)
		}
		return c.tryvoxEP, nil
	case ProviderDotdigital:
		if cr.dotdigitalAuth == "" {
			return endpoint{}, fmt.Errorf("%w: no dotdigital user (use WithDotdigitalAuth)", ErrMissingCredentials)
		}
		return c.dotdigitalEP, nil
	}
	return endpoint{}, fmt.Errorf("otpkit: unknown provider %q", p)
}

func (c *Client) setHeaders(h http.Header, p Provider, hasBody bool) {
	h["Accept"] = jsonHeader
	h["User-Agent"] = c.userAgentHeader
	if hasBody {
		h["Content-Type"] = jsonHeader
	}
	cr := c.creds()
	switch p {
	case ProviderLOX24:
		h["X-Lox24-Auth-Token"] = cr.lox24Header
	case ProviderTryvox:
		h["Authorization"] = cr.tryvoxAuthHeader
		h["X-Tenant-Id"] = cr.tryvoxTenantHeader
	case ProviderDotdigital:
		h["Authorization"] = cr.dotdigitalHeader
	}
}

// jsonHeader is shared by every request; net/http never modifies it.
var jsonHeader = []string{"application/json"}

// transportError turns a failure to get a response into the caller's error:
// the caller's own context error when it is done, a timeout when ours ran
// out, else the network error. None of them contain a header. All but the
// caller's context error match ErrUnavailable; ErrNotSent when no attempt
// can have reached the provider (see errors_transport.go).
func (c *Client) transportError(ctx, callCtx context.Context, r request, timeout time.Duration, err error) error {
	where := fmt.Sprintf("otpkit: %s %s %s", r.provider, r.method, r.path)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", where, ctxErr)
	}
	state, _ := callCtx.Value(callStateKey{}).(*callState)
	if state != nil && state.replays.cut > 0 {
		return unavailableError(fmt.Errorf("%s: %w", where, state.replays.cutError()), false)
	}
	if callCtx.Err() != nil {
		return unavailableError(fmt.Errorf("%s: no answer within %v: %w", where, timeout, context.DeadlineExceeded), false)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is already in where
	}
	return unavailableError(fmt.Errorf("%s: %w", where, err), notSent(err) && state != nil && !state.reached)
}

// ---------------------------------------------------------------------------
// Retries

// RetryPolicy says how often and how long the client retries. Only reads
// (GET) are retried on errors and on 429, 500, 502, 503 and 504; writes are
// retried only when the connection failed before the request was written
// or an HTTP/2 server refused it unread. (Apart from these retries,
// net/http sends a write again on a fresh connection when the kept-alive
// one it took was found dead before any byte was written.)
type RetryPolicy struct {
	// MaxRetries is how many times a call is retried; 0 turns retries off.
	MaxRetries int
	// MinWait and MaxWait bound the wait between attempts, which grows
	// exponentially from MinWait with full jitter.
	MinWait, MaxWait time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a
	// longer one ends the retries and the error carries RetryAfter.
	// 0 means the default (30 s); a negative value never waits for one.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 3 retries, waits of 200 ms to 5 s, and Retry-After
// honoured up to 30 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinWait: 200 * time.Millisecond, MaxWait: 5 * time.Second, MaxRetryAfter: 30 * time.Second}
}

// WithRetryPolicy replaces the retry policy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		if p.MaxRetries < 0 || p.MinWait < 0 || p.MaxWait < 0 {
			return errors.New("otpkit: WithRetryPolicy: negative MaxRetries, MinWait or MaxWait")
		}
		if p.MaxWait < p.MinWait {
			p.MaxWait = p.MinWait
		}
		if p.MaxRetryAfter == 0 {
			p.MaxRetryAfter = DefaultRetryPolicy().MaxRetryAfter
		}
		c.retry = p
		return nil
	}
}

// checkRetry is the retryablehttp.CheckRetry of our policy.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	state, _ := ctx.Value(callStateKey{}).(*callState)
	write := false
	if state != nil {
		state.attempts++
		write = state.write
		if err == nil || !notSent(err) {
			state.reached = true
		}
	}
	if err != nil {
		if write {
			return notSent(err), nil
		}
		return !permanent(err), nil
	}
	if write {
		return false, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		ra := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if ra > 0 && (c.retry.MaxRetryAfter < 0 || ra > c.retry.MaxRetryAfter) {
			return false, nil // too long to wait: the caller decides
		}
		if dl, ok := ctx.Deadline(); ok && ra > 0 && time.Until(dl) < ra {
			return false, nil // the call would time out while waiting
		}
		return true, nil
	}
	return false, nil
}

// notSent reports whether err means the request never left, or the server
// provably did not process it: the dial was refused, the name did not
// resolve, or an HTTP/2 server refused the stream (see sentError). Anything
// else (a reset, a timeout) may have reached the server.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var se *sentError
	if errors.As(err, &se) {
		return se.unprocessed
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && !opErr.Timeout()
}

// permanent reports transport errors that a retry cannot fix.
func permanent(err error) bool {
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	return errors.As(err, &certErr) || errors.As(err, &recordErr)
}

// backoff is the retryablehttp.Backoff of our policy: the provider's
// Retry-After when it sent one (checkRetry already capped it), else
// exponential growth from min with full jitter, at most max.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ra > 0 {
			return ra
		}
	}
	ceiling := maxWait
	if attempt < 30 {
		if e := minWait << attempt; e > 0 && e < maxWait {
			ceiling = e
		}
	}
	if ceiling <= minWait {
		return minWait
	}
	return minWait + rand.N(ceiling-minWait+1)
}
