package mock

import (
	"container/heap"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// dotdigital's lifecycle numbers (docs/wire.md, dotdigital). dotdigitalRetention is
// the mock's: how long after validUntil a code nobody validated is kept
// (to answer its first late validate with CodeExpired) before it is
// forgotten and answers 204 like any unknown requestId.
const (
	dotdigitalValidity    = 10 * time.Minute
	dotdigitalMaxAttempts = 5
	dotdigitalRetention   = 24 * time.Hour
	dotdigitalDefaultBody = "Your verification code is {{code}}"
	dotdigitalTimeLayout  = "2006-01-02T15:04:05.000Z"
	dotdigitalNoRoute     = "No HTTP resource was found that matches the request URI."
	dotdigitalRealm       = `Basic realm="dotdigital"`
)

type dotdigitalState struct {
	byID   map[string]*ddCode
	expiry ddExpiry // live codes by validUntil, for pruning
}

func newDotdigitalState() dotdigitalState {
	return dotdigitalState{byID: map[string]*ddCode{}}
}

type ddCode struct {
	id           string
	account      int // index into the configured credentials
	phone        string
	code         string
	numberStatus string
	created      time.Time
	validUntil   time.Time
	attempts     uint8
	idx          int // position in the expiry heap
}

// serveDotdigital answers every request under /webapi (any case).
// Precedence: route (404/405), credentials (401), body (400/413), then the
// operation.
func (h *Handler) serveDotdigital(w *statusWriter, r *http.Request, path string) {
	lower := strings.ToLower(path)
	send := lower == "/webapi/verify"
	id, validate := "", false
	if rest, ok := strings.CutPrefix(lower, "/webapi/verify/"); ok {
		id, validate = strings.CutSuffix(rest, "/validate")
		validate = validate && id != "" && !strings.Contains(id, "/")
	}
	switch {
	case !send && !validate:
		writeJSON(w, http.StatusNotFound, jsonCT, marshal(struct {
			Message string `json:"message"`
		}{dotdigitalNoRoute}))
		return
	case send && r.Method != http.MethodPost:
		writeMethodNotAllowed(w, otpkit.ProviderDotdigital, http.MethodPost)
		return
	case validate && r.Method != http.MethodPut:
		writeMethodNotAllowed(w, otpkit.ProviderDotdigital, http.MethodPut)
		return
	}
	account, ok := h.dotdigitalAuth(r)
	if !ok {
		writeDotdigitalUnauthorized(w)
		return
	}
	if send {
		h.dotdigitalSend(w, r, account)
	} else {
		h.dotdigitalValidate(w, r, account, id)
	}
}

// dotdigitalAuth returns the index of the account the Basic credentials
// name. The password is compared in constant time.
func (h *Handler) dotdigitalAuth(r *http.Request) (int, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return 0, false
	}
	for i, c := range h.cfg.dotdigitalCreds {
		if c.user == user && subtle.ConstantTimeCompare([]byte(c.password), []byte(pass)) == 1 {
			return i, true
		}
	}
	return 0, false
}

type dotdigitalSendBody struct {
	To             *string `json:"to"`
	From           *string `json:"from"`
	CountryIsoCode *string `json:"countryIsoCode"`
	Body           *string `json:"body"`
	ValidUntil     *string `json:"validUntil"`
}

func (h *Handler) dotdigitalSend(w *statusWriter, r *http.Request, account int) {
	var b dotdigitalSendBody
	var fails []rules.Violation
	if !decodeDotdigitalBody(w, r, &b, &fails) {
		return
	}
	in := rules.DotdigitalSend{To: deref(b.To), From: deref(b.From), CountryIsoCode: deref(b.CountryIsoCode), Body: deref(b.Body)}
	if b.ValidUntil != nil && *b.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339Nano, *b.ValidUntil)
		if err != nil {
			fails = append(fails, rules.Violation{Field: "validUntil", Code: rules.DotdigitalValidUntilInvalid,
				Message: "validUntil must be an ISO 8601 date and time"})
		} else {
			in.ValidUntil = &t
		}
	}
	// Clients compute validUntil from their own clock (the otpkit client
	// checks it against time.Now()), so the mock measures the validity
	// against the host's clock too and then applies it on its own clock:
	// a code valid "for 5 minutes" expires 5 minutes later on the mock's
	// clock, whether that is manual, advanced or real.
	wall := time.Now()
	for _, v := range rules.DotdigitalSendViolations(in, wall) {
		if !violationFor(fails, v.Field) {
			fails = append(fails, v)
		}
	}
	if len(fails) > 0 {
		writeDotdigitalFailures(w, http.StatusBadRequest, fails)
		return
	}
	c := &ddCode{id: newUUID(), account: account, phone: dotdigitalPhone(in.To, in.CountryIsoCode), code: randomDigits(6)}
	validity := dotdigitalValidity
	if in.ValidUntil != nil {
		validity = in.ValidUntil.Sub(wall)
	}
	text := dotdigitalDefaultBody
	if in.Body != "" {
		text = in.Body
	}
	minutes := int((validity + time.Minute - 1) / time.Minute)
	text = strings.ReplaceAll(fillCode(text, c.code), "{{validMinutes}}", strconv.Itoa(minutes))

	out := func() dotdigitalWire {
		now := h.lockedNow()
		defer h.mu.Unlock()
		c.created, c.validUntil = now, now.Add(validity)
		c.numberStatus = "Unknown"
		if s, ok := h.st.numberStatus[normRecipient(c.phone)]; ok {
			c.numberStatus = s
		}
		h.st.dd.byID[c.id] = c
		heap.Push(&h.st.dd.expiry, c)
		h.st.outbox.push(Message{ID: c.id, Provider: otpkit.ProviderDotdigital, Channel: otpkit.ChannelSMS,
			To: c.phone, Code: c.code, Text: text, Time: now})
		return c.wire(otpkit.CodeNotVerified, nil)
	}()
	writeJSON(w, http.StatusAccepted, jsonCT, marshal(out))
}

type dotdigitalValidateBody struct {
	Code json.RawMessage `json:"code"`
}

// dotdigitalValidate validates a code under the lock, so concurrent
// validations of one requestId count exactly and only one can verify it.
func (h *Handler) dotdigitalValidate(w *statusWriter, r *http.Request, account int, id string) {
	var b dotdigitalValidateBody
	var fails []rules.Violation
	if !decodeDotdigitalBody(w, r, &b, &fails) {
		return
	}
	code := ""
	switch kind(b.Code) {
	case 0, 'n':
	case '"':
		json.Unmarshal(b.Code, &code)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		code = strings.TrimSpace(string(b.Code)) // .NET binds a number to a string property
	default:
		fails = append(fails, rules.Violation{Field: "code", Code: rules.DotdigitalPayloadInvalid, Message: "code must be a string"})
	}
	if len(fails) == 0 && strings.TrimSpace(code) == "" {
		fails = append(fails, rules.DotdigitalCodeEmptyViolation)
	}
	if len(fails) > 0 {
		writeDotdigitalFailures(w, http.StatusBadRequest, fails)
		return
	}

	out, found := func() (dotdigitalWire, bool) {
		now := h.lockedNow()
		defer h.mu.Unlock()
		st := &h.st.dd
		c := st.byID[id]
		if c == nil || c.account != account {
			return dotdigitalWire{}, false
		}
		var state otpkit.CodeState
		var verified *time.Time
		switch {
		case !now.Before(c.validUntil):
			state = otpkit.CodeExpired
		case rules.CodesEqual(c.code, code):
			state, verified = otpkit.CodeVerified, &now
		default:
			c.attempts++
			state = otpkit.CodeNotVerified
			if c.attempts >= dotdigitalMaxAttempts {
				state = otpkit.CodeLocked
			}
		}
		if state != otpkit.CodeNotVerified {
			delete(st.byID, c.id)
			heap.Remove(&st.expiry, c.idx)
		}
		return c.wire(state, verified), true
	}()
	if !found {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, jsonCT, marshal(out))
}

// decodeDotdigitalBody reads a JSON object body into v. A body that is not
// JSON is answered 400 PayloadInvalid (413 when too large) and stops the
// request; a field of the wrong type is added to fails.
func decodeDotdigitalBody(w http.ResponseWriter, r *http.Request, v any, fails *[]rules.Violation) bool {
	body, err := readBody(r)
	if err == errTooLarge {
		writeDotdigitalFailures(w, http.StatusRequestEntityTooLarge, []rules.Violation{{Code: rules.DotdigitalPayloadInvalid,
			Message: "The request body is larger than 1 MiB"}})
		return false
	}
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &te) && te.Field != "":
		for _, fe := range fieldTypeErrors(body, v) {
			*fails = append(*fails, rules.Violation{Field: fe.field, Code: rules.DotdigitalPayloadInvalid,
				Message: fe.field + " " + fe.reason})
		}
	default:
		writeDotdigitalFailures(w, http.StatusBadRequest, []rules.Violation{{Code: rules.DotdigitalPayloadInvalid,
			Message: "The request body is not a valid JSON object"}})
		return false
	}
	return true
}

func violationFor(vs []rules.Violation, field string) bool {
	for _, v := range vs {
		if v.Field == field {
			return true
		}
	}
	return false
}

// dotdigitalCallingCodes turn a national number (leading 0) with its
// countryIsoCode into international digits, for the countries a test is
// likely to use; others keep the number as sent.
var dotdigitalCallingCodes = map[string]string{
	"GBR": "44", "DEU": "49", "FRA": "33", "ESP": "34", "ITA": "39", "NLD": "31", "BEL": "32", "AUT": "43",
	"CHE": "41", "IRL": "353", "PRT": "351", "POL": "48", "SWE": "46", "NOR": "47", "DNK": "45", "FIN": "358",
	"USA": "1", "CAN": "1", "AUS": "61", "IND": "91",
}

// dotdigitalPhone is the phoneNumber of a send: international digits.
func dotdigitalPhone(to, country string) string {
	to = strings.TrimPrefix(to, "+")
	if cc, ok := dotdigitalCallingCodes[country]; ok && strings.HasPrefix(to, "0") {
		return cc + to[1:]
	}
	return to
}

// prune forgets codes nobody validated dotdigitalRetention after they
// expired. (Codes that were verified, locked or expired on validation are
// discarded at once.)
func (s *dotdigitalState) prune(now time.Time) {
	for s.expiry.Len() > 0 && now.Sub(s.expiry[0].validUntil) >= dotdigitalRetention {
		c := heap.Pop(&s.expiry).(*ddCode)
		delete(s.byID, c.id)
	}
}

// ---------------------------------------------------------------------------
// Wire forms

type dotdigitalWire struct {
	RequestID    string  `json:"requestId"`
	PhoneNumber  string  `json:"phoneNumber"`
	Status       string  `json:"status"`
	NumberStatus string  `json:"numberStatus"`
	Created      string  `json:"created"`
	Verified     *string `json:"verified,omitempty"`
}

func (c *ddCode) wire(state otpkit.CodeState, verified *time.Time) dotdigitalWire {
	out := dotdigitalWire{RequestID: c.id, PhoneNumber: c.phone, Status: string(state),
		NumberStatus: c.numberStatus, Created: c.created.UTC().Format(dotdigitalTimeLayout)}
	if verified != nil {
		v := verified.UTC().Format(dotdigitalTimeLayout)
		out.Verified = &v
	}
	return out
}

type dotdigitalFailure struct {
	Property    string `json:"property"`
	FailureCode string `json:"failureCode"`
	Details     string `json:"details"`
}

// writeDotdigitalFailures answers a JSON array of ValidationFailure.
func writeDotdigitalFailures(w http.ResponseWriter, status int, vs []rules.Violation) {
	out := make([]dotdigitalFailure, len(vs))
	for i, v := range vs {
		out[i] = dotdigitalFailure{v.Field, v.Code, v.Message}
	}
	writeJSON(w, status, jsonCT, marshal(out))
}

// writeDotdigitalUnauthorized answers 401 with an empty body and the Basic
// challenge.
func writeDotdigitalUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", dotdigitalRealm)
	w.WriteHeader(http.StatusUnauthorized)
}

// ddExpiry is a min-heap of live codes by validUntil; each code knows its
// index so a discarded one leaves the heap at once.
type ddExpiry []*ddCode

func (e ddExpiry) Len() int           { return len(e) }
func (e ddExpiry) Less(i, j int) bool { return e[i].validUntil.Before(e[j].validUntil) }
func (e ddExpiry) Swap(i, j int) {
	e[i], e[j] = e[j], e[i]
	e[i].idx, e[j].idx = i, j
}
func (e *ddExpiry) Push(x any) {
	c := x.(*ddCode)
	c.idx = len(*e)
	*e = append(*e, c)
}
func (e *ddExpiry) Pop() any {
	old := *e
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*e = old[:len(old)-1]
	c.idx = -1
	return c
}
