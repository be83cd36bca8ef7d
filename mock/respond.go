package mock

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// maxBody is the largest request body the mock reads; a larger one is 413.
const maxBody = 1 << 20

// Content-Type values, shared so that setting them allocates nothing.
var (
	jsonCT    = []string{"application/json; charset=utf-8"}
	problemCT = []string{"application/problem+json; charset=utf-8"}
)

var notFoundBody = []byte(`{"error":"not found"}`)

// errTooLarge is readBody's answer to a body over maxBody.
var errTooLarge = errors.New("request body too large")

// readBody reads the whole body, at most maxBody bytes. A read that fails
// (the client went away) returns the error; the caller answers 400, which
// nobody will read.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > maxBody {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errTooLarge
	}
	return b, nil
}

func writeJSON(w http.ResponseWriter, status int, ct []string, body []byte) {
	w.Header()["Content-Type"] = ct
	w.WriteHeader(status)
	if len(body) > 0 {
		w.Write(body)
	}
}

// marshal encodes v, which is always one of the mock's own types and so
// always encodes.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{}`)
	}
	return b
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		secs := d / time.Second
		if d%time.Second != 0 {
			secs++ // rounded up, without overflowing
		}
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
}

// writeProviderError answers status in the shape of provider p, for the
// answers that carry no more than the status: injected faults, unknown
// routes, 413, the last-resort 500.
func writeProviderError(w http.ResponseWriter, p otpkit.Provider, status int, retryAfter time.Duration) {
	setRetryAfter(w, retryAfter)
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	switch p {
	case otpkit.ProviderLOX24:
		if w.Header().Get("X-LOX24-REQUEST-ID") == "" { // a fault answers before serveLOX24 set one
			w.Header()["X-Lox24-Request-Id"] = []string{newLOX24RequestID()}
		}
		writeLOX24Problem(w, status, lox24StatusDetail(status), nil)
	case otpkit.ProviderTryvox:
		writeTryvoxError(w, status, tryvoxCodeFor(status), text, nil)
	case otpkit.ProviderDotdigital:
		switch {
		case status == http.StatusUnauthorized:
			writeDotdigitalUnauthorized(w)
		case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge:
			writeDotdigitalFailures(w, status, []rules.Violation{{Code: rules.DotdigitalPayloadInvalid, Message: text}})
		case status < 400:
			w.WriteHeader(status)
		default:
			writeJSON(w, status, jsonCT, marshal(struct {
				Message string `json:"message"`
			}{text}))
		}
	default:
		writeJSON(w, status, jsonCT, marshal(struct {
			Error string `json:"error"`
		}{strings.ToLower(text)}))
	}
}

// writeMethodNotAllowed answers 405 with the Allow header, provider-shaped.
func writeMethodNotAllowed(w http.ResponseWriter, p otpkit.Provider, allow string) {
	w.Header().Set("Allow", allow)
	writeProviderError(w, p, http.StatusMethodNotAllowed, 0)
}
