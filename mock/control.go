package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
)

// serveControl answers the /_mock/ API: the Go controls as JSON over HTTP,
// for a standalone mock driven from another language. Its requests are not
// logged and faults never apply to them. Every error is a JSON
// {"error":"…"} with a 4xx status.
func (h *Handler) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	name := strings.TrimSuffix(strings.TrimPrefix(path, "/_mock/"), "/")
	switch name {
	case "health":
		if allow(w, r, "GET") {
			writeControl(w, http.StatusOK, map[string]string{"status": "ok", "now": h.Now().Format(time.RFC3339Nano)})
		}
	case "messages":
		if allow(w, r, "GET") {
			q := r.URL.Query()
			writeControl(w, http.StatusOK, nonNil(h.messagesFor(q.Get("id"), q.Get("to"))))
		}
	case "requests":
		if allow(w, r, "GET") {
			writeControl(w, http.StatusOK, nonNil(h.Requests()))
		}
	case "clock":
		h.controlClock(w, r)
	case "faults":
		h.controlFaults(w, r)
	case "outcomes":
		h.controlOutcomes(w, r)
	case "number_status":
		h.controlNumberStatus(w, r)
	case "account":
		h.controlAccount(w, r)
	case "stats":
		if allow(w, r, "GET") {
			writeControl(w, http.StatusOK, h.Stats())
		}
	case "webhooks":
		h.controlWebhooks(w, r)
	case "shutdown":
		h.controlShutdown(w, r)
	case "reset":
		if allow(w, r, "POST") {
			h.Reset()
			writeControl(w, http.StatusOK, okBody)
		}
	default:
		controlError(w, http.StatusNotFound, "no such control: see the mock package documentation")
	}
}

var okBody = map[string]string{"status": "ok"}

func (h *Handler) controlClock(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "GET, POST") {
		return
	}
	if r.Method == http.MethodPost {
		var in struct {
			Advance *jsonDuration `json:"advance"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		if in.Advance == nil || *in.Advance < 0 {
			controlError(w, http.StatusBadRequest, `"advance" must be a duration of zero or more, e.g. "10m"`)
			return
		}
		h.Advance(time.Duration(*in.Advance))
	}
	writeControl(w, http.StatusOK, map[string]string{"now": h.Now().Format(time.RFC3339Nano)})
}

// faultJSON is a Fault on the wire; durations are Go duration strings
// ("2s", "150ms") or numbers of seconds.
type faultJSON struct {
	Route          string       `json:"route"`
	Status         int          `json:"status,omitempty"`
	RetryAfter     jsonDuration `json:"retry_after,omitempty"`
	Delay          jsonDuration `json:"delay,omitempty"`
	DropConnection bool         `json:"drop_connection,omitempty"`
	Count          int          `json:"count,omitempty"`
	AfterHandler   bool         `json:"after_handler,omitempty"`
	Remaining      *int         `json:"remaining,omitempty"` // only in the GET listing
}

func (h *Handler) controlFaults(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "GET, POST, DELETE") {
		return
	}
	switch r.Method {
	case http.MethodGet:
		out := []faultJSON{}
		for _, v := range h.faultList() {
			f := v.Fault
			n := v.Remaining
			out = append(out, faultJSON{Route: v.Route, Status: f.Status, RetryAfter: jsonDuration(f.RetryAfter),
				Delay: jsonDuration(f.Delay), DropConnection: f.DropConnection, Count: f.Count,
				AfterHandler: f.AfterHandler, Remaining: &n})
		}
		writeControl(w, http.StatusOK, out)
	case http.MethodDelete:
		h.ClearFaults()
		writeControl(w, http.StatusOK, okBody)
	default:
		var in faultJSON
		if !decodeControl(w, r, &in) {
			return
		}
		if in.Remaining != nil {
			controlError(w, http.StatusBadRequest, `"remaining" is read-only; use "count"`)
			return
		}
		err := h.injectFault(in.Route, Fault{Status: in.Status, RetryAfter: time.Duration(in.RetryAfter),
			Delay: time.Duration(in.Delay), DropConnection: in.DropConnection, Count: in.Count, AfterHandler: in.AfterHandler})
		if err != nil {
			controlError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeControl(w, http.StatusCreated, okBody)
	}
}

func (h *Handler) controlOutcomes(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "POST") {
		return
	}
	var in struct {
		Recipient string         `json:"recipient"`
		Channel   otpkit.Channel `json:"channel"`
		Outcome   *Outcome       `json:"outcome"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Recipient == "" || in.Channel == "" || in.Outcome == nil {
		controlError(w, http.StatusBadRequest, `"recipient", "channel" and "outcome" are required`)
		return
	}
	if err := h.setOutcome(in.Recipient, in.Channel, *in.Outcome); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeControl(w, http.StatusOK, okBody)
}

func (h *Handler) controlNumberStatus(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "POST") {
		return
	}
	var in struct {
		Recipient string `json:"recipient"`
		Status    string `json:"status"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Recipient == "" {
		controlError(w, http.StatusBadRequest, `"recipient" is required`)
		return
	}
	if err := h.setNumberStatus(in.Recipient, in.Status); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeControl(w, http.StatusOK, okBody)
}

type accountJSON struct {
	BalanceCents   *int  `json:"balance_cents"`
	BalanceLimited bool  `json:"balance_limited"`
	Inactive       *bool `json:"inactive"`
}

func (h *Handler) controlAccount(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "GET, POST") {
		return
	}
	if r.Method == http.MethodPost {
		var in accountJSON
		if !decodeControl(w, r, &in) {
			return
		}
		if in.BalanceCents != nil {
			h.SetBalance(*in.BalanceCents)
		}
		if in.Inactive != nil {
			h.SetAccountInactive(*in.Inactive)
		}
	}
	cents, limited := h.Balance()
	h.mu.Lock()
	inactive := h.st.inactive
	h.mu.Unlock()
	writeControl(w, http.StatusOK, accountJSON{BalanceCents: &cents, BalanceLimited: limited, Inactive: &inactive})
}

// allow answers 405 with an Allow header unless r's method is listed, and
// 415 for any method but GET without Content-Type: application/json (see
// guard.go).
func allow(w http.ResponseWriter, r *http.Request, methods string) bool {
	for _, m := range strings.Split(methods, ", ") {
		if r.Method == m {
			return r.Method == http.MethodGet || jsonBody(w, r)
		}
	}
	w.Header().Set("Allow", methods)
	controlError(w, http.StatusMethodNotAllowed, "method not allowed; use "+methods)
	return false
}

// decodeControl decodes a JSON object body strictly (unknown fields are an
// error, to catch typos in a CI script), answering 400 or 413 when it
// cannot.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := readBody(r)
	if err == errTooLarge {
		controlError(w, http.StatusRequestEntityTooLarge, "the body is larger than 1 MiB")
		return false
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err = dec.Decode(v); err == nil && dec.More() {
			err = errors.New("data after the JSON object")
		}
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return false
	}
	return true
}

func writeControl(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, jsonCT, marshal(v))
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeControl(w, status, map[string]string{"error": msg})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// jsonDuration is a time.Duration written as a Go duration string and read
// from one ("1m30s") or from a number of seconds.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration like \"2s\" or \"10m\"", s)
		}
		*d = jsonDuration(v)
		return nil
	}
	secs, err := strconv.ParseFloat(string(b), 64)
	if err != nil || secs > float64(1<<62)/float64(time.Second) || secs < -float64(1<<62)/float64(time.Second) {
		return fmt.Errorf("%s is not a duration: use a string like \"2s\" or a number of seconds", b)
	}
	*d = jsonDuration(secs * float64(time.Second))
	return nil
}
