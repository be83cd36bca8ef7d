package mock

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// Tryvox's lifecycle numbers (docs/wire.md, Tryvox). tryvoxRetention is the
// mock's: how long an expired verification still answers GET ("expired")
// before it is forgotten (404).
const (
	tryvoxTTL         = 10 * time.Minute
	tryvoxMaxAttempts = 5
	tryvoxRateWindow  = time.Hour
	tryvoxRateMax     = 5
	tryvoxRetention   = time.Hour
	tryvoxTimeLayout  = "2006-01-02T15:04:05Z07:00"
)

// Tryvox's error messages.
const (
	tryvoxMsgNotFound      = "Verification not found"
	tryvoxMsgCheckNotFound = "Verification not found or has expired"
	tryvoxMsgInvalidCode   = "Invalid verification code"
	tryvoxMsgMaxAttempts   = "Maximum verification attempts exceeded. Please request a new code."
	tryvoxMsgRateLimited   = "Too many verification requests for this recipient. Please try again later."
	tryvoxMsgDelivery      = "Failed to deliver the verification code"
	tryvoxMsgValidation    = "Request validation failed"
	tryvoxMsgBadJSON       = "Request body must be a JSON object"
	tryvoxMsgUnauthorized  = "Invalid or missing API key"
	tryvoxMsgForbidden     = "API key is not allowed for this tenant"
	tryvoxMsgNoTenant      = "X-Tenant-ID header is required"
	tryvoxMsgNoRoute       = "Route not found"
)

// The verification states the mock stores; "expired" is computed from the
// clock.
const (
	tvPending uint8 = iota
	tvApproved
	tvFailed
)

type tryvoxState struct {
	byID    map[string]*tvVerification
	fifo    queue[*tvVerification] // creation order = expiry order, for pruning
	windows map[rateKey]rateWindow
}

func newTryvoxState() tryvoxState {
	return tryvoxState{byID: map[string]*tvVerification{}, windows: map[rateKey]rateWindow{}}
}

// tvVerification is kept small: a benchmark holds many thousands live.
type tvVerification struct {
	id       string
	tenant   string // shares the configured string
	to       string
	channel  otpkit.Channel
	code     string
	created  time.Time
	attempts uint8
	status   uint8
}

func (v *tvVerification) statusAt(now time.Time) otpkit.VerificationStatus {
	switch {
	case v.status == tvApproved:
		return otpkit.VerificationApproved
	case v.status == tvFailed:
		return otpkit.VerificationFailed
	case !now.Before(v.created.Add(tryvoxTTL)):
		return otpkit.VerificationExpired
	}
	return otpkit.VerificationPending
}

// rateKey scopes the start rate limit to one recipient of one tenant.
type rateKey struct{ tenant, to string }

// rateWindow holds the last tryvoxRateMax start times (unix nanoseconds) of
// one recipient, a ring: enough to tell whether another start would be the
// sixth within the hour, and when the oldest leaves the window.
type rateWindow struct {
	starts [tryvoxRateMax]int64
	next   uint8
	n      uint8
}

func (w *rateWindow) add(t int64) {
	w.starts[w.next] = t
	w.next = (w.next + 1) % tryvoxRateMax
	w.n = min(w.n+1, tryvoxRateMax)
}

// wait is how long until another start is allowed; 0 when it is now.
func (w *rateWindow) wait(now time.Time) time.Duration {
	if w.n < tryvoxRateMax {
		return 0
	}
	oldest := time.Unix(0, w.starts[w.next])
	return max(oldest.Add(tryvoxRateWindow).Sub(now), 0)
}

func (w *rateWindow) newest() time.Time {
	return time.Unix(0, w.starts[(int(w.next)+tryvoxRateMax-1)%tryvoxRateMax])
}

// serveTryvox answers every request under /v1. Precedence: route
// (404/405), API key (401), tenant (400 missing, 403 not the key's), body
// (400/413), then the operation.
func (h *Handler) serveTryvox(w *statusWriter, r *http.Request, path string) {
	rest, ok := strings.CutPrefix(path, "/v1/verify/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		writeTryvoxError(w, http.StatusNotFound, "NOT_FOUND", tryvoxMsgNoRoute, nil)
		return
	}
	want := http.MethodGet
	if rest == "start" || rest == "check" {
		want = http.MethodPost
	}
	if r.Method != want {
		writeMethodNotAllowed(w, otpkit.ProviderTryvox, want)
		return
	}
	tenant, ok := h.tryvoxAuth(w, r)
	if !ok {
		return
	}
	switch rest {
	case "start":
		h.tryvoxStart(w, r, tenant)
	case "check":
		h.tryvoxCheck(w, r, tenant)
	default:
		h.tryvoxGet(w, rest, tenant)
	}
}

// tryvoxAuth checks the Bearer key and the tenant, answering when they
// fail. It returns the configured tenant string, so that stored
// verifications do not keep request headers alive.
func (h *Handler) tryvoxAuth(w http.ResponseWriter, r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	key := ""
	if len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ") {
		key = strings.TrimSpace(auth[7:])
	}
	tenants, ok := h.tryvoxKeys[key]
	if !ok {
		writeTryvoxError(w, http.StatusUnauthorized, "UNAUTHORIZED", tryvoxMsgUnauthorized, nil)
		return "", false
	}
	given := r.Header.Get("X-Tenant-ID")
	if given == "" {
		writeTryvoxError(w, http.StatusBadRequest, "VALIDATION_FAILED", tryvoxMsgNoTenant,
			[]tryvoxDetail{{"X-Tenant-ID", "is required"}})
		return "", false
	}
	for _, t := range tenants {
		if t == given {
			return t, true
		}
	}
	writeTryvoxError(w, http.StatusForbidden, "FORBIDDEN", tryvoxMsgForbidden, nil)
	return "", false
}

type tryvoxStartBody struct {
	To            *string `json:"to"`
	Channel       *string `json:"channel"`
	CodeLength    *int    `json:"code_length"`
	Locale        *string `json:"locale"`
	CustomMessage *string `json:"custom_message"`
	AppName       *string `json:"app_name"`
}

func (h *Handler) tryvoxStart(w *statusWriter, r *http.Request, tenant string) {
	var b tryvoxStartBody
	if !decodeTryvoxBody(w, r, &b, func(typeErrs []tryvoxDetail) []tryvoxDetail {
		in := rules.TryvoxStart{To: b.To, Channel: b.Channel, CodeLength: b.CodeLength, CustomMessage: b.CustomMessage}
		return appendViolations(typeErrs, rules.TryvoxStartViolations(in))
	}) {
		return
	}
	n := 6
	if b.CodeLength != nil {
		n = *b.CodeLength
	}
	v := &tvVerification{id: newTryvoxID(), tenant: tenant, to: *b.To,
		channel: tryvoxChannel(*b.Channel), code: randomDigits(n)}
	text := ""
	if b.CustomMessage != nil {
		text = fillCode(*b.CustomMessage, v.code)
	} else {
		locale := "en"
		if b.Locale != nil {
			locale = *b.Locale
		}
		text = fillCode(lox24DefaultText(locale), v.code)
		if b.AppName != nil && *b.AppName != "" {
			text = *b.AppName + ": " + text
		}
	}

	var wait time.Duration
	refused := func() bool {
		now := h.lockedNow()
		defer h.mu.Unlock()
		st := &h.st.tv
		key := rateKey{tenant, v.to}
		win := st.windows[key]
		if wait = win.wait(now); wait > 0 {
			return true
		}
		if h.outcomeLocked(v.to, v.channel) != OutcomeDelivered {
			return true
		}
		v.created = now
		win.add(now.UnixNano())
		st.windows[key] = win
		st.byID[v.id] = v
		st.fifo.push(v)
		h.st.outbox.push(Message{ID: v.id, Provider: otpkit.ProviderTryvox, Channel: v.channel, To: v.to,
			Code: v.code, Text: text, Time: now})
		return false
	}()
	switch {
	case wait > 0:
		setRetryAfter(w, wait)
		writeTryvoxError(w, http.StatusTooManyRequests, "RATE_LIMITED", tryvoxMsgRateLimited, nil)
	case refused:
		writeTryvoxError(w, http.StatusBadGateway, "DELIVERY_FAILED", tryvoxMsgDelivery, nil)
	default:
		writeJSON(w, http.StatusOK, jsonCT, marshal(tryvoxData{tryvoxWire{ID: v.id, To: v.to, Channel: v.channel,
			Status: otpkit.VerificationPending, CreatedAt: formatTryvox(v.created), ExpiresAt: formatTryvox(v.created.Add(tryvoxTTL))}}))
	}
}

func (h *Handler) tryvoxGet(w *statusWriter, id, tenant string) {
	out, ok := func() (tryvoxWire, bool) {
		now := h.lockedNow()
		defer h.mu.Unlock()
		v := h.st.tv.byID[id]
		if v == nil || v.tenant != tenant {
			return tryvoxWire{}, false
		}
		attempts := int(v.attempts)
		return tryvoxWire{ID: v.id, To: v.to, Channel: v.channel, Status: v.statusAt(now), Attempts: &attempts,
			MaxAttempts: tryvoxMaxAttempts, CreatedAt: formatTryvox(v.created), ExpiresAt: formatTryvox(v.created.Add(tryvoxTTL))}, true
	}()
	if !ok {
		writeJSON(w, http.StatusNotFound, jsonCT, tryvoxNotFoundBody)
		return
	}
	writeJSON(w, http.StatusOK, jsonCT, marshal(tryvoxData{out}))
}

type tryvoxCheckBody struct {
	VerificationID *string `json:"verification_id"`
	Code           *string `json:"code"`
}

// tryvoxCheck checks a code. All of it happens under the lock, so
// concurrent checks of one verification count exactly: the 5th wrong code
// fails it, and a correct code either wins before that or is refused.
func (h *Handler) tryvoxCheck(w *statusWriter, r *http.Request, tenant string) {
	var b tryvoxCheckBody
	if !decodeTryvoxBody(w, r, &b, func(typeErrs []tryvoxDetail) []tryvoxDetail {
		return appendViolations(typeErrs, rules.TryvoxCheckViolations(deref(b.VerificationID), deref(b.Code)))
	}) {
		return
	}
	status, body, approved := func() (int, []byte, tryvoxWire) {
		now := h.lockedNow()
		defer h.mu.Unlock()
		v := h.st.tv.byID[*b.VerificationID]
		switch {
		case v == nil || v.tenant != tenant:
			return http.StatusNotFound, tryvoxCheckNotFoundBody, tryvoxWire{}
		case v.status == tvFailed:
			return http.StatusTooManyRequests, tryvoxMaxAttemptsBody, tryvoxWire{}
		case v.status == tvApproved || v.statusAt(now) == otpkit.VerificationExpired:
			return http.StatusNotFound, tryvoxCheckNotFoundBody, tryvoxWire{}
		}
		v.attempts++
		switch {
		case rules.CodesEqual(v.code, *b.Code):
			v.status = tvApproved
			return http.StatusOK, nil, tryvoxWire{ID: v.id, Status: otpkit.VerificationApproved, To: v.to, Channel: v.channel}
		case v.attempts >= tryvoxMaxAttempts:
			v.status = tvFailed
			return http.StatusTooManyRequests, tryvoxMaxAttemptsBody, tryvoxWire{}
		}
		return http.StatusBadRequest, tryvoxInvalidCodeBody, tryvoxWire{}
	}()
	if status == http.StatusOK {
		body = marshal(tryvoxData{approved})
	}
	writeJSON(w, status, jsonCT, body)
}

// decodeTryvoxBody reads and decodes a JSON object body into v, then
// validates it with check (given the type errors found). It answers 400 or
// 413 itself and reports whether the request may go on.
func decodeTryvoxBody(w http.ResponseWriter, r *http.Request, v any, check func([]tryvoxDetail) []tryvoxDetail) bool {
	body, err := readBody(r)
	if err == errTooLarge {
		writeTryvoxError(w, http.StatusRequestEntityTooLarge, "VALIDATION_FAILED", "Request body is larger than 1 MiB", nil)
		return false
	}
	var typeErrs []tryvoxDetail
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &te) && te.Field != "":
		for _, fe := range fieldTypeErrors(body, v) {
			typeErrs = append(typeErrs, tryvoxDetail{fe.field, fe.reason})
		}
	default:
		writeTryvoxError(w, http.StatusBadRequest, "VALIDATION_FAILED", tryvoxMsgBadJSON,
			[]tryvoxDetail{{"body", "must be a JSON object"}})
		return false
	}
	ds := check(typeErrs)
	if len(ds) == 0 {
		return true
	}
	msg := tryvoxMsgValidation
	for _, d := range ds {
		if d.Reason == rules.TryvoxCheckCodeMessage {
			msg = rules.TryvoxCheckCodeMessage
		}
	}
	writeTryvoxError(w, http.StatusBadRequest, "VALIDATION_FAILED", msg, ds)
	return false
}

// appendViolations adds the rule violations to the type errors, except
// those about a field whose type was already wrong.
func appendViolations(ds []tryvoxDetail, vs []rules.Violation) []tryvoxDetail {
	typed := ds
	for _, v := range vs {
		dup := false
		for _, d := range typed {
			dup = dup || d.Field == v.Field
		}
		if !dup {
			ds = append(ds, tryvoxDetail{v.Field, v.Message})
		}
	}
	return ds
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// tryvoxChannel returns the package constant for a valid channel name, so
// that verifications share it.
func tryvoxChannel(s string) otpkit.Channel {
	for _, c := range []otpkit.Channel{otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp, otpkit.ChannelEmail} {
		if string(c) == s {
			return c
		}
	}
	return otpkit.Channel(s)
}

// prune forgets verifications tryvoxRetention after they expired, and the
// rate window of a recipient whose last start left the window.
func (s *tryvoxState) prune(now time.Time) {
	for s.fifo.len() > 0 {
		v := s.fifo.front()
		if now.Sub(v.created) < tryvoxTTL+tryvoxRetention {
			return
		}
		s.fifo.pop()
		delete(s.byID, v.id)
		key := rateKey{v.tenant, v.to}
		if win, ok := s.windows[key]; ok && now.Sub(win.newest()) >= tryvoxRateWindow {
			delete(s.windows, key)
		}
	}
}

// ---------------------------------------------------------------------------
// Wire forms

type tryvoxWire struct {
	ID          string                    `json:"verification_id"`
	To          string                    `json:"to,omitempty"`
	Channel     otpkit.Channel            `json:"channel,omitempty"`
	Status      otpkit.VerificationStatus `json:"status"`
	Attempts    *int                      `json:"attempts,omitempty"`
	MaxAttempts int                       `json:"max_attempts,omitempty"`
	CreatedAt   string                    `json:"created_at,omitempty"`
	ExpiresAt   string                    `json:"expires_at,omitempty"`
}

type tryvoxData struct {
	Data tryvoxWire `json:"data"`
}

type tryvoxDetail struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

type tryvoxErrorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details []tryvoxDetail `json:"details,omitempty"`
	} `json:"error"`
}

func tryvoxErrorJSON(code, msg string, details []tryvoxDetail) []byte {
	var b tryvoxErrorBody
	b.Error.Code, b.Error.Message, b.Error.Details = code, msg, details
	return marshal(b)
}

// The constant error bodies, encoded once.
var (
	tryvoxNotFoundBody      = tryvoxErrorJSON("NOT_FOUND", tryvoxMsgNotFound, nil)
	tryvoxCheckNotFoundBody = tryvoxErrorJSON("NOT_FOUND", tryvoxMsgCheckNotFound, nil)
	tryvoxInvalidCodeBody   = tryvoxErrorJSON("VERIFICATION_FAILED", tryvoxMsgInvalidCode, nil)
	tryvoxMaxAttemptsBody   = tryvoxErrorJSON("MAX_ATTEMPTS_EXCEEDED", tryvoxMsgMaxAttempts, nil)
)

func writeTryvoxError(w http.ResponseWriter, status int, code, msg string, details []tryvoxDetail) {
	writeJSON(w, status, jsonCT, tryvoxErrorJSON(code, msg, details))
}

// tryvoxCodeFor is the error code Tryvox sends with a bare status.
func tryvoxCodeFor(status int) string {
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusRequestEntityTooLarge:
		return "VALIDATION_FAILED"
	case status == http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case status == http.StatusForbidden:
		return "FORBIDDEN"
	case status == http.StatusNotFound:
		return "NOT_FOUND"
	case status == http.StatusMethodNotAllowed:
		return "METHOD_NOT_ALLOWED"
	case status == http.StatusTooManyRequests:
		return "RATE_LIMITED"
	case status >= 500:
		return "INTERNAL_ERROR"
	}
	return "ERROR"
}

func formatTryvox(t time.Time) string { return t.UTC().Format(tryvoxTimeLayout) }
