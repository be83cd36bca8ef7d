package otpkit

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/otpkit/otpkit/internal/mask"
)

// Channel is a delivery channel for a verification code. LOX24 routes over
// telegram, voice and sms; Tryvox sends over sms, voice, whatsapp and email.
type Channel string

// The delivery channels the providers know.
const (
	ChannelTelegram Channel = "telegram"
	ChannelVoice    Channel = "voice"
	ChannelSMS      Channel = "sms"
	ChannelWhatsApp Channel = "whatsapp"
	ChannelEmail    Channel = "email"
)

// redacted stands in for a secret in formatted output.
const redacted = mask.Redacted

// ---------------------------------------------------------------------------
// LOX24

// VerifyCodeStatus is the processing state of a LOX24 verify code, and of
// each step in its history.
type VerifyCodeStatus int

// The LOX24 verify code states. New and InProgress are transient; the others
// are terminal.
const (
	VerifyCodeNew        VerifyCodeStatus = 0
	VerifyCodeInProgress VerifyCodeStatus = 5
	VerifyCodeSuccess    VerifyCodeStatus = 10
	VerifyCodeFailed     VerifyCodeStatus = 20
	VerifyCodeError      VerifyCodeStatus = 100
)

// Terminal reports whether s is a final state (success, failed or error).
func (s VerifyCodeStatus) Terminal() bool {
	return s == VerifyCodeSuccess || s == VerifyCodeFailed || s == VerifyCodeError
}

// String returns the provider's name for the state, e.g. "Success".
func (s VerifyCodeStatus) String() string {
	switch s {
	case VerifyCodeNew:
		return "New"
	case VerifyCodeInProgress:
		return "In Progress"
	case VerifyCodeSuccess:
		return "Success"
	case VerifyCodeFailed:
		return "Failed"
	case VerifyCodeError:
		return "Error"
	}
	return fmt.Sprintf("VerifyCodeStatus(%d)", int(s))
}

// RoutingStep is one step of a LOX24 routing strategy. Steps are tried in
// order; a step that fails falls back to the next one. Zero fields are
// omitted from the request and the provider applies its default.
type RoutingStep struct {
	// Channel is telegram, voice or sms; sms may only be the last step.
	Channel Channel `json:"channel"`
	// TimeoutSec (30–3600, default 30) is how long telegram waits before
	// falling back. Only valid on the telegram step.
	TimeoutSec int `json:"timeout_sec,omitempty"`
	// SenderID is the sender shown for sms and voice: a phone number or up to
	// 11 letters, digits and spaces, allowed for the account.
	SenderID string `json:"sender_id,omitempty"`
	// Template is a custom sms or voice text of at most 70 characters that
	// must contain {{code}}.
	Template string `json:"template,omitempty"`
}

// CreateVerifyCodeRequest is the body of CreateVerifyCode (LOX24's
// VerifyCodeWrite). Phone and RoutingStrategy are required; zero values of the
// other fields are omitted and take the provider's defaults.
type CreateVerifyCodeRequest struct {
	// Phone is the recipient in international format, 5–30 characters.
	Phone string `json:"phone"`
	// Code is the code to deliver (4–8 digits). Leave it empty to let LOX24
	// generate a random code of CodeLength digits.
	Code string `json:"code,omitempty"`
	// CodeLength is the length of a generated code, 4–8 (default 4, which
	// is too short to be safe: ask for 6 or more).
	CodeLength int `json:"code_length,omitempty"`
	// Lang is the language of the default templates. LOX24's default is DE:
	// without Lang the recipient gets a German text. Set "EN" (or another
	// language LOX24 lists) for anything else.
	Lang string `json:"lang,omitempty"`
	// Payload is free text of at most 128 characters stored with the code.
	Payload string `json:"payload,omitempty"`
	// IsCodeDeleted asks LOX24 to forget the code once delivery finished.
	IsCodeDeleted bool `json:"is_code_deleted,omitempty"`
	// RoutingStrategy lists the delivery steps, at least one.
	RoutingStrategy []RoutingStep `json:"routing_strategy"`
}

// Format implements fmt.Formatter so that neither the code nor the phone
// number shows in logs: the code prints as [REDACTED], the number masked
// ("+49…").
func (r CreateVerifyCodeRequest) Format(f fmt.State, verb rune) {
	type plain CreateVerifyCodeRequest
	p := plain(r)
	if p.Code != "" {
		p.Code = redacted
	}
	p.Phone = mask.Personal(p.Phone)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue implements slog.LogValuer: a request logged with slog shows as
// its %+v form, code redacted and number masked, with any handler (the JSON
// handler would otherwise encode both).
func (r CreateVerifyCodeRequest) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", r))
}

// createVerifyCodeWire is the body CreateVerifyCode sends: the request
// without its Format and LogValue methods.
type createVerifyCodeWire CreateVerifyCodeRequest

// VerifyCode is a LOX24 verify code as the provider returns it (its
// VerifyCodeRead object). Nullable fields are pointers.
type VerifyCode struct {
	ID     string `json:"id"`
	UserID int    `json:"user_id"`
	Phone  string `json:"phone"`
	// Code is the delivered code; nil once LOX24 deleted it (IsCodeDeleted).
	// Compare a user's input with Matches rather than reading it.
	Code            *string          `json:"code"`
	CodeLength      *int             `json:"code_length"`
	Lang            string           `json:"lang"`
	RoutingStrategy []RoutingStep    `json:"routing_strategy"`
	Status          VerifyCodeStatus `json:"status"`
	// DeliveredChannel is the channel that delivered the code, if any.
	DeliveredChannel *Channel `json:"delivered_channel"`
	// Cost is the total in cents of Currency, nil until processing is done.
	Cost          *int           `json:"cost"`
	Currency      *string        `json:"currency"`
	Payload       *string        `json:"payload"`
	CreatedAt     time.Time      `json:"-"`
	UpdatedAt     time.Time      `json:"-"`
	History       []HistoryEntry `json:"history"`
	IsCodeDeleted bool           `json:"is_code_deleted"`
}

// HistoryEntry records one routing step LOX24 tried.
type HistoryEntry struct {
	ID          string           `json:"id"`
	Channel     Channel          `json:"channel"`
	Status      VerifyCodeStatus `json:"status"`
	ProcessedAt time.Time        `json:"-"`
	ExternalID  *string          `json:"external_id"`
}

// verifyCodeWire is VerifyCode with LOX24's unix-second timestamps. The
// history entries convert themselves.
type verifyCodeWire struct {
	verifyCodeFields
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

type verifyCodeFields VerifyCode

type historyEntryFields HistoryEntry

type historyEntryWire struct {
	historyEntryFields
	ProcessedAt int64 `json:"processed_at"`
}

// MarshalJSON encodes v in LOX24's wire form (timestamps as unix seconds).
func (v VerifyCode) MarshalJSON() ([]byte, error) {
	return json.Marshal(verifyCodeWire{verifyCodeFields(v), unixOrZero(v.CreatedAt), unixOrZero(v.UpdatedAt)})
}

// UnmarshalJSON decodes LOX24's wire form.
func (v *VerifyCode) UnmarshalJSON(b []byte) error {
	var w verifyCodeIn // one pass: see decoding.go
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*v = w.model()
	return nil
}

// MarshalJSON encodes h in LOX24's wire form.
func (h HistoryEntry) MarshalJSON() ([]byte, error) {
	return json.Marshal(historyEntryWire{historyEntryFields(h), unixOrZero(h.ProcessedAt)})
}

// UnmarshalJSON decodes LOX24's wire form.
func (h *HistoryEntry) UnmarshalJSON(b []byte) error {
	var w historyEntryWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*h = HistoryEntry(w.historyEntryFields)
	h.ProcessedAt = fromUnix(w.ProcessedAt)
	return nil
}

// Format implements fmt.Formatter so that the code never shows in logs and
// the phone number shows masked ("+49…"). Nullable fields print as their
// values (or <nil>), not as addresses.
func (v VerifyCode) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), v.view())
}

// verifyCodeView is what a VerifyCode prints as: the code redacted, the
// phone masked, the other nullable fields by value.
type verifyCodeView struct {
	ID               string
	UserID           int
	Phone            string
	Code             any
	CodeLength       any
	Lang             string
	RoutingStrategy  []RoutingStep
	Status           VerifyCodeStatus
	DeliveredChannel any
	Cost             any
	Currency         any
	Payload          any
	CreatedAt        time.Time
	UpdatedAt        time.Time
	History          []historyEntryView
	IsCodeDeleted    bool
}

// historyEntryView is what a HistoryEntry prints as inside a VerifyCode.
type historyEntryView struct {
	ID          string
	Channel     Channel
	Status      VerifyCodeStatus
	ProcessedAt time.Time
	ExternalID  any
}

func (v VerifyCode) view() verifyCodeView {
	var code any
	if v.Code != nil {
		code = redacted
	}
	var history []historyEntryView
	if v.History != nil {
		history = make([]historyEntryView, len(v.History))
		for i, h := range v.History {
			history[i] = historyEntryView{h.ID, h.Channel, h.Status, h.ProcessedAt, valueOf(h.ExternalID)}
		}
	}
	return verifyCodeView{
		ID: v.ID, UserID: v.UserID, Phone: mask.Personal(v.Phone), Code: code, CodeLength: valueOf(v.CodeLength),
		Lang: v.Lang, RoutingStrategy: v.RoutingStrategy, Status: v.Status,
		DeliveredChannel: valueOf(v.DeliveredChannel), Cost: valueOf(v.Cost), Currency: valueOf(v.Currency),
		Payload: valueOf(v.Payload), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, History: history,
		IsCodeDeleted: v.IsCodeDeleted,
	}
}

// valueOf is *p, or nil (printed <nil>) when p is nil.
func valueOf[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// LogValue implements slog.LogValuer: a VerifyCode logged with slog shows
// as its %+v form, code redacted and phone masked, with any handler (the
// JSON handler would otherwise encode both with MarshalJSON). json.Marshal
// itself keeps them: it is the wire form.
func (v VerifyCode) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", v))
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// ListVerifyCodesOptions selects a page of ListVerifyCodes.
type ListVerifyCodesOptions struct {
	// Page is the 1-based page number (30 codes a page); 0 means the first.
	Page int `url:"page,omitempty"`
}

// ---------------------------------------------------------------------------
// Tryvox

// VerificationStatus is the state of a Tryvox verification.
type VerificationStatus string

// The Tryvox verification states. Only pending can still be checked.
const (
	VerificationPending  VerificationStatus = "pending"
	VerificationApproved VerificationStatus = "approved"
	VerificationExpired  VerificationStatus = "expired"
	VerificationFailed   VerificationStatus = "failed"
)

// StartVerificationRequest is the body of StartVerification.
type StartVerificationRequest struct {
	// To is an E.164 number (sms, voice, whatsapp) or an email address.
	To string `json:"to"`
	// Channel is sms, voice, whatsapp or email.
	Channel Channel `json:"channel"`
	// CodeLength is 4–8 digits (default 6).
	CodeLength int `json:"code_length,omitempty"`
	// Locale of the message (default "en").
	Locale string `json:"locale,omitempty"`
	// CustomMessage replaces the default text; it must contain {{code}}.
	CustomMessage string `json:"custom_message,omitempty"`
	// AppName is shown in the default text.
	AppName string `json:"app_name,omitempty"`
}

// Format implements fmt.Formatter so that the recipient shows masked in
// logs: a number as "+49…", an e-mail address as [REDACTED].
func (r StartVerificationRequest) Format(f fmt.State, verb rune) {
	type plain StartVerificationRequest // without this method
	p := plain(r)
	p.To = mask.Personal(p.To)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue implements slog.LogValuer: a request logged with slog shows as
// its %+v form, recipient masked, with any handler (the JSON handler would
// otherwise encode the recipient). json.Marshal keeps it: it is the wire
// form.
func (r StartVerificationRequest) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", r))
}

// Verification is a Tryvox verification. The check response carries only
// ID, Status, To and Channel; GetStatus fills in the rest.
type Verification struct {
	ID          string             `json:"verification_id"`
	To          string             `json:"to,omitempty"`
	Channel     Channel            `json:"channel,omitempty"`
	Status      VerificationStatus `json:"status,omitempty"`
	Attempts    int                `json:"attempts"`
	MaxAttempts int                `json:"max_attempts,omitempty"`
	CreatedAt   time.Time          `json:"-"`
	ExpiresAt   time.Time          `json:"-"`
}

type verificationFields Verification

type verificationWire struct {
	verificationFields
	// Attempts is a pointer so that "attempts": 0 survives a round trip while
	// responses without the field (start, check) stay without it.
	Attempts  *int    `json:"attempts,omitempty"`
	CreatedAt *string `json:"created_at,omitempty"`
	ExpiresAt *string `json:"expires_at,omitempty"`
}

// MarshalJSON encodes v in Tryvox's wire form (RFC 3339 UTC timestamps).
// attempts is written when it is non-zero or max_attempts is known, as in a
// status response.
func (v Verification) MarshalJSON() ([]byte, error) {
	w := verificationWire{verificationFields: verificationFields(v)}
	if v.Attempts != 0 || v.MaxAttempts != 0 {
		w.Attempts = &v.Attempts
	}
	w.CreatedAt, w.ExpiresAt = rfc3339OrNil(v.CreatedAt), rfc3339OrNil(v.ExpiresAt)
	return json.Marshal(w)
}

// UnmarshalJSON decodes Tryvox's wire form.
func (v *Verification) UnmarshalJSON(b []byte) error {
	var w verificationIn
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*v = w.model()
	return nil
}

// Format implements fmt.Formatter so that the recipient shows masked in
// logs: a number as "+49…", an e-mail address as [REDACTED].
func (v Verification) Format(f fmt.State, verb rune) {
	type plain Verification // without this method
	p := plain(v)
	p.To = mask.Personal(p.To)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue implements slog.LogValuer: a Verification logged with slog shows
// as its %+v form, recipient masked, with any handler (the JSON handler
// would otherwise encode it with MarshalJSON, which keeps the recipient:
// it is the wire form).
func (v Verification) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", v))
}

// TryvoxMaxAttempts is the number of checks Tryvox allows a verification,
// as it documents.
const TryvoxMaxAttempts = 5

// RemainingAttempts is how many checks the user has left: MaxAttempts minus
// Attempts, where an answer without max_attempts (the start answer) counts
// as Tryvox's documented 5. A verification that is no longer pending has
// none left. A wrong code's error (ErrInvalidCode) carries no attempt count;
// GetStatus gives it.
func (v *Verification) RemainingAttempts() int {
	if v.Status != "" && v.Status != VerificationPending {
		return 0
	}
	limit := v.MaxAttempts
	if limit == 0 {
		limit = TryvoxMaxAttempts
	}
	if n := limit - v.Attempts; n > 0 {
		return n
	}
	return 0
}

func rfc3339OrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// ---------------------------------------------------------------------------
// dotdigital

// CodeState is the status of a dotdigital verification code.
type CodeState string

// The dotdigital code states.
const (
	CodeVerified    CodeState = "CodeVerified"
	CodeNotVerified CodeState = "CodeNotVerified"
	CodeLocked      CodeState = "CodeLocked"
	CodeExpired     CodeState = "CodeExpired"
)

// dotdigitalTimeLayout is ISO 8601 UTC with milliseconds, as dotdigital
// writes it: 2015-10-21T13:28:06.419Z.
const dotdigitalTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// SendCodeRequest is the body of SendCode (dotdigital's Verify method).
type SendCodeRequest struct {
	// To is the number in international digits (447123123456; a leading +
	// is tolerated), or a national number starting with 0 with CountryISOCode.
	To string `json:"to"`
	// From is the originator: 2–15 digits or 2–11 letters; optional.
	From string `json:"from,omitempty"`
	// CountryISOCode is the ISO 3166-1 alpha-3 country of a national To.
	CountryISOCode string `json:"countryIsoCode,omitempty"`
	// Body replaces the default text; it must contain {{code}} and may
	// contain {{validMinutes}}.
	Body string `json:"body,omitempty"`
	// ValidUntil is when the code expires (default 10 minutes, at most 24 h).
	ValidUntil time.Time `json:"-"`
}

type sendCodeRequestFields SendCodeRequest

// MarshalJSON encodes r, with ValidUntil in dotdigital's form when set.
func (r SendCodeRequest) MarshalJSON() ([]byte, error) {
	var until *string
	if !r.ValidUntil.IsZero() {
		s := r.ValidUntil.UTC().Format(dotdigitalTimeLayout)
		until = &s
	}
	return json.Marshal(struct {
		sendCodeRequestFields
		ValidUntil *string `json:"validUntil,omitempty"`
	}{sendCodeRequestFields(r), until})
}

// Format implements fmt.Formatter so that the recipient shows masked in
// logs ("44…"). From, the sender, prints as it is.
func (r SendCodeRequest) Format(f fmt.State, verb rune) {
	type plain SendCodeRequest // without this method and MarshalJSON
	p := plain(r)
	p.To = mask.Personal(p.To)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue implements slog.LogValuer: a request logged with slog shows as
// its %+v form, recipient masked, with any handler (the JSON handler would
// otherwise encode it with MarshalJSON, which keeps the recipient: it is
// the wire form).
func (r SendCodeRequest) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", r))
}

// CodeStatus is dotdigital's VerifyCode object: the state of one requestId.
type CodeStatus struct {
	RequestID    string    `json:"requestId"`
	PhoneNumber  string    `json:"phoneNumber"`
	Status       CodeState `json:"status"`
	NumberStatus string    `json:"numberStatus"`
	Created      time.Time `json:"-"`
	// Verified is when the code was verified; nil until then.
	Verified *time.Time `json:"-"`
}

type codeStatusFields CodeStatus

type codeStatusWire struct {
	codeStatusFields
	Created  *string `json:"created,omitempty"`
	Verified *string `json:"verified,omitempty"`
}

// MarshalJSON encodes s in dotdigital's wire form.
func (s CodeStatus) MarshalJSON() ([]byte, error) {
	w := codeStatusWire{codeStatusFields: codeStatusFields(s)}
	if !s.Created.IsZero() {
		c := s.Created.UTC().Format(dotdigitalTimeLayout)
		w.Created = &c
	}
	if s.Verified != nil {
		v := s.Verified.UTC().Format(dotdigitalTimeLayout)
		w.Verified = &v
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes dotdigital's wire form. It accepts any ISO 8601
// form RFC 3339 covers, with or without fractional seconds.
func (s *CodeStatus) UnmarshalJSON(b []byte) error {
	var w codeStatusIn
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = w.model()
	return nil
}

// Format implements fmt.Formatter so that the phone number shows masked in
// logs ("44…"). Verified prints as its value (or <nil>), not as an
// address.
func (s CodeStatus) Format(f fmt.State, verb rune) {
	v := codeStatusView{RequestID: s.RequestID, PhoneNumber: mask.Personal(s.PhoneNumber), Status: s.Status,
		NumberStatus: s.NumberStatus, Created: s.Created, Verified: valueOf(s.Verified)}
	fmt.Fprintf(f, fmt.FormatString(f, verb), v)
}

// codeStatusView is what a CodeStatus prints as.
type codeStatusView struct {
	RequestID    string
	PhoneNumber  string
	Status       CodeState
	NumberStatus string
	Created      time.Time
	Verified     any
}

// LogValue implements slog.LogValuer: a CodeStatus logged with slog shows
// as its %+v form, number masked, with any handler (the JSON handler would
// otherwise encode it with MarshalJSON, which keeps the number: it is the
// wire form).
func (s CodeStatus) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", s))
}
