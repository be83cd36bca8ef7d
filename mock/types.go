package mock

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/mask"
)

// Message is one code the mock "sent": an entry of the outbox. It holds the
// code and the recipient in clear on purpose (a test reads the code the way
// a user would read the SMS), but prints the code redacted and the
// recipient masked: see Format.
type Message struct {
	// ID is the provider's id of what sent the message: the LOX24 verify
	// code id, the Tryvox verification id or the dotdigital requestId.
	ID       string          `json:"id"`
	Provider otpkit.Provider `json:"provider"`
	Channel  otpkit.Channel  `json:"channel"`
	// To is the recipient as the provider knows it: the LOX24 phone and
	// Tryvox to as sent, the dotdigital phoneNumber in international digits.
	To   string `json:"to"`
	Code string `json:"code"`
	// Text is the message as the recipient reads it, code filled in (its
	// first 2 KiB when longer).
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

// Format implements fmt.Formatter so that a Message printed with any verb
// (in a test failure or a log line) shows neither its code nor its text,
// and its recipient masked: a number as "+49…", an e-mail address as
// [REDACTED]. Read the fields to get at them.
func (m Message) Format(f fmt.State, verb rune) {
	type message Message // without the Format method
	p := message(m)
	if p.Code != "" {
		p.Code = mask.Redacted
	}
	if p.Text != "" {
		p.Text = mask.Redacted
	}
	p.To = mask.Personal(p.To)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue implements slog.LogValuer: a Message logged with slog shows as
// its %+v form, code and text redacted and recipient masked, with any
// handler. (Inside a slice or struct slog's JSON handler encodes it with
// encoding/json, which keeps code and recipient: that is the form GET
// /_mock/messages serves.)
func (m Message) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", m)) }

// Request is one entry of the request log: what was asked and answered,
// never a body or a header.
type Request struct {
	Method string `json:"method"`
	// Path is the URL path without the query (its first 1 KiB when
	// longer).
	Path string `json:"path"`
	// Provider is the provider whose API the path belongs to; empty for a
	// path of none.
	Provider otpkit.Provider `json:"provider"`
	// Status is the status answered; 0 when the connection was dropped or
	// the client went away before an answer.
	Status int `json:"status"`
	// Time is when the request arrived, on the mock's clock.
	Time time.Time `json:"time"`
	// Fault is true when an injected Fault answered (or delayed) it.
	Fault bool `json:"fault,omitempty"`
}

// Outcome is the scripted result of delivering a code over one channel to
// one recipient; see SetOutcome. The zero value is OutcomeDelivered.
type Outcome int

// The delivery outcomes.
const (
	// OutcomeDelivered: the channel delivers (the default).
	OutcomeDelivered Outcome = iota
	// OutcomeFailed: the channel fails to deliver. LOX24 falls back to the
	// next routing step (telegram only after its timeout_sec); Tryvox start
	// answers 502 DELIVERY_FAILED.
	OutcomeFailed
	// OutcomeError: processing fails. LOX24 ends the verify code with
	// status 100 Error; Tryvox start answers 502 DELIVERY_FAILED.
	OutcomeError
)

// String returns "delivered", "failed" or "error", the names the /_mock/
// API uses.
func (o Outcome) String() string {
	switch o {
	case OutcomeDelivered:
		return "delivered"
	case OutcomeFailed:
		return "failed"
	case OutcomeError:
		return "error"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// MarshalText encodes o by its name.
func (o Outcome) MarshalText() ([]byte, error) {
	if o < OutcomeDelivered || o > OutcomeError {
		return nil, fmt.Errorf("mock: unknown outcome %d", int(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText decodes "delivered", "failed" or "error" (any case).
func (o *Outcome) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "delivered":
		*o = OutcomeDelivered
	case "failed":
		*o = OutcomeFailed
	case "error":
		*o = OutcomeError
	default:
		return fmt.Errorf("mock: unknown outcome %q (want delivered, failed or error)", b)
	}
	return nil
}

// Stats counts what the mock holds, for tests of pruning and memory. Every
// count is bounded: expired state is pruned as the clock moves.
type Stats struct {
	LOX24Codes          int `json:"lox24_codes"`
	LOX24Pending        int `json:"lox24_pending"` // verify codes still being delivered
	LOX24IPRecords      int `json:"lox24_ip_records"`
	TryvoxVerifications int `json:"tryvox_verifications"`
	TryvoxRateWindows   int `json:"tryvox_rate_windows"`
	DotdigitalCodes     int `json:"dotdigital_codes"`
	Messages            int `json:"messages"`
	Requests            int `json:"requests"`
	Faults              int `json:"faults"`
}

// normRecipient is the form recipients are compared in: without spaces
// around, without a leading "+", lowercase (for email addresses). It lets
// LastCode("+447…") find dotdigital's "447…".
func normRecipient(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	if strings.ContainsRune(s, '@') {
		s = strings.ToLower(s)
	}
	return s
}

// Format implements fmt.Formatter: a Handler prints as a short label, never
// its credentials or state (which hold codes), and without touching the
// state's lock.
func (h *Handler) Format(f fmt.State, _ rune) { fmt.Fprint(f, "mock.Handler{}") }

// Format implements fmt.Formatter: a Server prints its URL only.
func (s *Server) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "mock.Server{URL:%s}", s.URL) }
