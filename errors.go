package otpkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Provider names the API an error came from.
type Provider string

// The providers otpkit wraps.
const (
	ProviderLOX24      Provider = "lox24"
	ProviderTryvox     Provider = "tryvox"
	ProviderDotdigital Provider = "dotdigital"
)

// Sentinel errors. Match them with errors.Is; an *APIError or
// *ValidationError matches the one sentinel its status and provider code
// stand for. Use errors.As to get at the details.
var (
	// ErrInvalidRequest: the provider rejected the request as invalid (400,
	// 422, VALIDATION_FAILED), or the client refused to send it.
	ErrInvalidRequest = errors.New("otpkit: invalid request")
	// ErrUnauthorized: missing or wrong credentials (401).
	ErrUnauthorized = errors.New("otpkit: unauthorized")
	// ErrInsufficientFunds: the LOX24 account cannot pay for the task (402).
	ErrInsufficientFunds = errors.New("otpkit: insufficient funds")
	// ErrForbidden: the account or key may not do this (403).
	ErrForbidden = errors.New("otpkit: forbidden")
	// ErrNotFound: unknown, foreign, expired or already used id (404, and
	// dotdigital's 204 for a discarded requestId).
	ErrNotFound = errors.New("otpkit: not found")
	// ErrRateLimited: too many requests (429 rate limit, LOX24 IP block).
	// APIError.RetryAfter says how long to wait when the provider said so.
	ErrRateLimited = errors.New("otpkit: rate limited")
	// ErrInvalidCode: the code the user entered is wrong; they may try again.
	ErrInvalidCode = errors.New("otpkit: invalid code")
	// ErrMaxAttempts: the attempts are used up; start a new verification.
	ErrMaxAttempts = errors.New("otpkit: maximum attempts exceeded")
	// ErrDeliveryFailed: the provider could not deliver the code.
	ErrDeliveryFailed = errors.New("otpkit: delivery failed")
	// ErrServer: the provider failed (5xx) or answered something that is not
	// its documented response.
	ErrServer = errors.New("otpkit: server error")
	// ErrMissingCredentials: the client has no credentials for the provider
	// that was called. Nothing was sent.
	ErrMissingCredentials = errors.New("otpkit: missing credentials")
)

// FieldError is one field-level problem the provider reported: a LOX24
// violation, a Tryvox detail or a dotdigital ValidationFailure.
type FieldError struct {
	// Field is the provider's name for the field (LOX24 propertyPath,
	// dotdigital property); empty when the whole request is meant.
	Field string
	// Code is the provider's machine code (Symfony constraint UUID,
	// dotdigital failureCode); empty when the provider sends none.
	Code string
	// Message is the provider's human-readable text.
	Message string
}

// maxErrorBody caps APIError.Body.
const maxErrorBody = 64 << 10

// APIError is a non-success answer from a provider. Its Error string names
// the provider, method, path, status and message, never a credential.
type APIError struct {
	Provider   Provider
	StatusCode int
	// Code is the provider's error code: Tryvox error.code, dotdigital
	// failureCode of the first failure. Empty for LOX24.
	Code string
	// Message is the provider's description (LOX24 detail, Tryvox message,
	// dotdigital details), or the HTTP status text when the body had none.
	Message string
	// Fields holds every field-level problem the body listed.
	Fields []FieldError
	// RequestID is LOX24's X-LOX24-REQUEST-ID (or a provider's X-Request-Id).
	RequestID string
	// RetryAfter is the wait the provider asked for in Retry-After; zero
	// when it did not say.
	RetryAfter time.Duration
	// Body is the raw response body, at most 64 KiB of it.
	Body []byte

	// Method and Path locate the failed call (path without query).
	Method string
	Path   string
}

// Error describes the failure for a log line.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "otpkit: %s %s %s: %d", e.Provider, e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + strings.ReplaceAll(e.Message, "\n", "; "))
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// Is reports whether target is the sentinel this error stands for. The
// provider's own code decides first, so Tryvox's VERIFICATION_FAILED is
// ErrInvalidCode whether it came as 400 or 422; the HTTP status decides when
// there is no known code.
func (e *APIError) Is(target error) bool {
	s := e.sentinel()
	return s != nil && s == target
}

// Temporary reports whether the same request may succeed later (5xx, 429
// that is a rate limit).
func (e *APIError) Temporary() bool {
	s := e.sentinel()
	return s == ErrServer || s == ErrRateLimited
}

func (e *APIError) sentinel() error {
	if e.Provider == ProviderTryvox {
		switch e.Code {
		case "VALIDATION_FAILED":
			return ErrInvalidRequest
		case "UNAUTHORIZED":
			return ErrUnauthorized
		case "FORBIDDEN":
			return ErrForbidden
		case "NOT_FOUND":
			return ErrNotFound
		case "VERIFICATION_FAILED":
			return ErrInvalidCode
		case "MAX_ATTEMPTS_EXCEEDED":
			return ErrMaxAttempts
		case "RATE_LIMITED":
			return ErrRateLimited
		case "DELIVERY_FAILED":
			return ErrDeliveryFailed
		case "INTERNAL_ERROR":
			return ErrServer
		}
	}
	switch s := e.StatusCode; {
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity:
		return ErrInvalidRequest
	case s == http.StatusUnauthorized:
		return ErrUnauthorized
	case s == http.StatusPaymentRequired:
		return ErrInsufficientFunds
	case s == http.StatusForbidden:
		return ErrForbidden
	case s == http.StatusNotFound || (s == http.StatusNoContent && e.Provider == ProviderDotdigital):
		return ErrNotFound
	case s == http.StatusTooManyRequests:
		return ErrRateLimited
	case s >= 500:
		return ErrServer
	case s < 400:
		// A success status whose body could not be used, or a redirect or
		// informational status no API documents.
		return ErrServer
	}
	return nil
}

// ValidationError is a request the client refused to send because it breaks
// a documented constraint. It satisfies errors.Is(err, ErrInvalidRequest).
type ValidationError struct {
	// Field is the request field, by its JSON name (e.g. "routing_strategy[1].template").
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error describes the problem; it never contains the value.
func (e *ValidationError) Error() string {
	if strings.HasPrefix(e.Reason, e.Field+" ") {
		return "otpkit: invalid request: " + e.Reason // the reason names the field
	}
	return "otpkit: invalid request: " + e.Field + ": " + e.Reason
}

// Is matches ErrInvalidRequest, and ErrNotSent: nothing was sent.
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalidRequest || target == ErrNotSent
}

// parseAPIError builds the *APIError for a response that is not a success.
// body is what was read (already capped); the provider's error format is
// parsed when it is there and ignored when it is not (HTML pages, empty or
// truncated bodies), so the status alone then decides.
func parseAPIError(p Provider, method, path string, resp *http.Response, body []byte) *APIError {
	e := &APIError{
		Provider:   p,
		StatusCode: resp.StatusCode,
		Method:     method,
		Path:       path,
		RequestID:  requestID(resp.Header),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	if len(body) > 0 {
		e.Body = bytes.Clone(body)
	}
	switch p {
	case ProviderLOX24:
		parseLOX24Error(e, body)
	case ProviderTryvox:
		parseTryvoxError(e, body)
	case ProviderDotdigital:
		parseDotdigitalError(e, body)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
		if p == ProviderDotdigital && resp.StatusCode == http.StatusNoContent {
			e.Message = "requestId not recognised (unknown, already verified, locked or expired)"
		}
	}
	return e
}

func requestID(h http.Header) string {
	if id := h.Get("X-LOX24-REQUEST-ID"); id != "" {
		return id
	}
	return h.Get("X-Request-Id")
}

// parseLOX24Error reads LOX24's problem body:
// {"type":…,"title":…,"detail":…,"violations":[{"propertyPath","message","code"}]}.
func parseLOX24Error(e *APIError, body []byte) {
	var pb struct {
		Title      string `json:"title"`
		Detail     string `json:"detail"`
		Message    string `json:"message"`
		Violations []struct {
			PropertyPath string `json:"propertyPath"`
			Message      string `json:"message"`
			Code         string `json:"code"`
		} `json:"violations"`
	}
	if json.Unmarshal(body, &pb) != nil {
		e.Message = plainText(body)
		return
	}
	for _, v := range pb.Violations {
		e.Fields = append(e.Fields, FieldError{Field: v.PropertyPath, Code: v.Code, Message: v.Message})
	}
	e.Message = firstNonEmpty(pb.Detail, pb.Message, pb.Title)
}

// parseTryvoxError reads Tryvox's envelope:
// {"error":{"code":…,"message":…,"details":[{"field","reason"}]}}.
func parseTryvoxError(e *APIError, body []byte) {
	var env struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details []struct {
				Field  string `json:"field"`
				Reason string `json:"reason"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || env.Error == nil {
		e.Message = plainText(body)
		return
	}
	e.Code, e.Message = env.Error.Code, env.Error.Message
	for _, d := range env.Error.Details {
		e.Fields = append(e.Fields, FieldError{Field: d.Field, Message: d.Reason})
	}
}

// parseDotdigitalError reads dotdigital's array of ValidationFailure
// {"property","failureCode","details"} (a single object is accepted too).
func parseDotdigitalError(e *APIError, body []byte) {
	type failure struct {
		Property    string `json:"property"`
		FailureCode string `json:"failureCode"`
		Details     string `json:"details"`
	}
	var fs []failure
	if err := json.Unmarshal(body, &fs); err != nil {
		var one failure
		if json.Unmarshal(body, &one) != nil || one.FailureCode == "" {
			e.Message = plainText(body)
			return
		}
		fs = []failure{one}
	}
	msgs := make([]string, 0, len(fs))
	for _, f := range fs {
		e.Fields = append(e.Fields, FieldError{Field: f.Property, Code: f.FailureCode, Message: f.Details})
		if f.Details != "" {
			msgs = append(msgs, f.Details)
		}
	}
	if len(fs) > 0 {
		e.Code = fs[0].FailureCode
	}
	e.Message = strings.Join(msgs, "\n")
}

// plainText turns a non-JSON body into a short message: a line of text is
// kept, markup (an HTML error page) and binary are dropped.
func plainText(body []byte) string {
	// A byte-order mark (common before the HTML pages of some servers)
	// would hide the markup.
	s := strings.TrimSpace(strings.TrimPrefix(string(body), "\ufeff"))
	if s == "" || strings.HasPrefix(s, "<") || strings.ContainsAny(s, "\x00{[") {
		return ""
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if !utf8.ValidString(s) { // binary, not a message
		return ""
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
// It returns 0 when the header is absent or unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		const maxSecs = int64(365 * 24 * time.Hour / time.Second)
		return time.Duration(min(max(secs, 0), maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
