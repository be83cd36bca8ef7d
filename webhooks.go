package otpkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// LOX24 webhook events.
//
// LOX24 POSTs a JSON event to every URL the account registered when a
// verify code changes, so an app need not poll GetVerifyCode. LOX24 signs
// nothing and publishes no source addresses: register a URL with a secret
// token in it and check it (NewLOX24WebhookHandler with WithWebhookToken),
// and re-read the verify code with GetVerifyCode before acting on anything
// that matters.

// The LOX24 webhook event names. An event with another name still parses,
// with Name as sent.
const (
	// EventVerifyCodeSuccess: the code was delivered over some channel
	// (status 10).
	EventVerifyCodeSuccess = "verify_code.success"
	// EventVerifyCodeFailed: every routing step failed (status 20).
	EventVerifyCodeFailed = "verify_code.failed"
	// EventVerifyCodeChannelUpdated: the code's status changed during
	// processing (0 New → 5 In Progress).
	EventVerifyCodeChannelUpdated = "verify_code.channel.updated"
	// EventVerifyCodeChannelSent: a routing step's channel was dispatched.
	EventVerifyCodeChannelSent = "verify_code.channel.sent"
	// EventVerifyCodeChannelSuccess: that channel delivered.
	EventVerifyCodeChannelSuccess = "verify_code.channel.success"
	// EventVerifyCodeChannelFailed: that channel failed.
	EventVerifyCodeChannelFailed = "verify_code.channel.failed"
)

// channelEventPrefix starts the names of the events about one routing step.
const channelEventPrefix = "verify_code.channel."

// LOX24Event is one LOX24 webhook event. A retry of a delivery carries the
// same ID and NotificationTaskID and a higher AttemptNumber, so ID is the key
// to handle each event once.
//
// It prints (with %v and with slog) with the verify code's code redacted;
// json.Marshal gives the wire envelope, code included.
type LOX24Event struct {
	// ID identifies the event (a UUID); retries repeat it.
	ID string
	// APIVersion is the version of the event format, e.g. "2022-05-25".
	APIVersion string
	// Name is one of the Event… constants, or a newer name as sent.
	Name string
	// CreatedAt is when the event happened.
	CreatedAt time.Time
	// AttemptTotal is how many delivery attempts LOX24 makes at most (1–4).
	AttemptTotal int
	// AttemptNumber is this delivery's attempt, from 1.
	AttemptNumber int
	// NotificationTaskID identifies the delivery of this event to this URL.
	NotificationTaskID string
	// VerifyCode is the verify code as GetVerifyCode would have returned it
	// when the event happened; nil when the event carried no data.
	VerifyCode *VerifyCode
	// Channel is the routing step the event is about; nil outside the
	// verify_code.channel.* events (and in verify_code.channel.updated,
	// which is about the code's status).
	Channel *ChannelEvent
}

// ChannelEvent is the routing step a verify_code.channel.* event is about:
// its history entry, plus the error text when it failed and its cost.
type ChannelEvent struct {
	ID          string           `json:"id"`
	Channel     Channel          `json:"channel"`
	Status      VerifyCodeStatus `json:"status"`
	ProcessedAt time.Time        `json:"-"`
	ExternalID  *string          `json:"external_id"`
	// ErrorMessage says why the step failed; nil when it did not.
	ErrorMessage *string `json:"error_message"`
	// Cost is what the step cost in cents; nil until it is known.
	Cost *int `json:"cost"`
}

// lox24EventIn decodes an event in one pass (see decoding.go). Members match
// by name in any case, as encoding/json does; unknown ones are ignored.
type lox24EventIn struct {
	ID                 string            `json:"id"`
	APIVersion         string            `json:"api_version"`
	Name               string            `json:"name"`
	CreatedAt          int64             `json:"created_at"`
	AttemptTotal       *int              `json:"attempt_total"`
	AttemptsTotal      *int              `json:"attempts_total"` // the spelling of one documented example
	AttemptNumber      int               `json:"attempt_number"`
	NotificationTaskID string            `json:"notification_task_id"`
	Data               *lox24EventDataIn `json:"data"` // decoded in the same pass
}

// lox24EventDataIn decodes data: the read object, plus the step of a
// channel event (decoded only in one: elsewhere it is an unknown member).
type lox24EventDataIn struct {
	verifyCodeIn
	Channel json.RawMessage `json:"channel"`
}

type channelEventFields ChannelEvent

type channelEventWire struct {
	channelEventFields
	ProcessedAt int64 `json:"processed_at"`
}

func (w *channelEventWire) model() *ChannelEvent {
	c := ChannelEvent(w.channelEventFields)
	c.ProcessedAt = fromUnix(w.ProcessedAt)
	return &c
}

// ParseLOX24Event decodes the body of a LOX24 webhook request. Members are
// matched by name, never by position; unknown members and unknown event
// names are not errors. A body that is not an event (not JSON, wrong types,
// no id or no name) is a *ValidationError, which satisfies
// ErrInvalidRequest; its message never quotes the body.
func ParseLOX24Event(body []byte) (*LOX24Event, error) {
	var in lox24EventIn
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, notAnEvent(err)
	}
	if in.ID == "" {
		return nil, &ValidationError{Field: "id", Reason: "is missing: the body is not a LOX24 event"}
	}
	if in.Name == "" {
		return nil, &ValidationError{Field: "name", Reason: "is missing: the body is not a LOX24 event"}
	}
	ev := &LOX24Event{ID: in.ID, APIVersion: in.APIVersion, Name: in.Name, CreatedAt: fromUnix(in.CreatedAt),
		AttemptNumber: in.AttemptNumber, NotificationTaskID: in.NotificationTaskID}
	switch {
	case in.AttemptTotal != nil:
		ev.AttemptTotal = *in.AttemptTotal
	case in.AttemptsTotal != nil:
		ev.AttemptTotal = *in.AttemptsTotal
	}
	data := in.Data
	if data == nil {
		return ev, nil
	}
	vc := data.model()
	ev.VerifyCode = &vc
	if strings.HasPrefix(ev.Name, channelEventPrefix) && len(data.Channel) > 0 && string(data.Channel) != "null" {
		var ch channelEventWire
		if err := json.Unmarshal(data.Channel, &ch); err != nil {
			return nil, notAnEvent(err)
		}
		ev.Channel = ch.model()
	}
	return ev, nil
}

// notAnEvent describes a decoding error without quoting the body: a type
// error names the member and the type it wanted (its Value could be a
// code written as a number).
func notAnEvent(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &ValidationError{Field: field, Reason: "has the wrong JSON type (want " + te.Type.String() + "): the body is not a LOX24 event"}
	}
	return &ValidationError{Field: "body", Reason: "is not a JSON object: the body is not a LOX24 event"}
}

// lox24EventWire is the envelope in the order of LOX24's example.
type lox24EventWire struct {
	ID                 string         `json:"id"`
	APIVersion         string         `json:"api_version"`
	Name               string         `json:"name"`
	CreatedAt          int64          `json:"created_at"`
	AttemptTotal       int            `json:"attempt_total"`
	AttemptNumber      int            `json:"attempt_number"`
	Data               *lox24DataWire `json:"data,omitempty"`
	NotificationTaskID string         `json:"notification_task_id"`
}

type lox24DataWire struct {
	*verifyCodeWire
	Channel *channelEventWire `json:"channel,omitempty"`
}

// MarshalJSON encodes e as LOX24 sends it: the envelope with data, the
// verify code's read object (and channel, for a channel event), timestamps
// in unix seconds, attempt_total in its documented spelling.
func (e LOX24Event) MarshalJSON() ([]byte, error) {
	w := lox24EventWire{ID: e.ID, APIVersion: e.APIVersion, Name: e.Name, CreatedAt: unixOrZero(e.CreatedAt),
		AttemptTotal: e.AttemptTotal, AttemptNumber: e.AttemptNumber, NotificationTaskID: e.NotificationTaskID}
	if e.VerifyCode != nil || e.Channel != nil {
		w.Data = &lox24DataWire{}
		if v := e.VerifyCode; v != nil {
			w.Data.verifyCodeWire = &verifyCodeWire{verifyCodeFields(*v), unixOrZero(v.CreatedAt), unixOrZero(v.UpdatedAt)}
		}
		if c := e.Channel; c != nil {
			w.Data.Channel = &channelEventWire{channelEventFields(*c), unixOrZero(c.ProcessedAt)}
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes the wire envelope, as ParseLOX24Event does.
func (e *LOX24Event) UnmarshalJSON(b []byte) error {
	ev, err := ParseLOX24Event(b)
	if err != nil {
		return err
	}
	*e = *ev
	return nil
}

// MarshalJSON encodes c in LOX24's wire form (processed_at in unix seconds).
func (c ChannelEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(channelEventWire{channelEventFields(c), unixOrZero(c.ProcessedAt)})
}

// UnmarshalJSON decodes LOX24's wire form.
func (c *ChannelEvent) UnmarshalJSON(b []byte) error {
	var w channelEventWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = *w.model()
	return nil
}

// lox24EventView is what an event prints as: the verify code by value, so
// that its own Format redacts the code, and no pointer addresses.
type lox24EventView struct {
	ID                 string
	APIVersion         string
	Name               string
	CreatedAt          time.Time
	AttemptTotal       int
	AttemptNumber      int
	NotificationTaskID string
	VerifyCode         any
	Channel            any
}

// Format implements fmt.Formatter so that the verify code's code never
// shows in logs or test failures.
func (e LOX24Event) Format(f fmt.State, verb rune) {
	v := lox24EventView{ID: e.ID, APIVersion: e.APIVersion, Name: e.Name, CreatedAt: e.CreatedAt,
		AttemptTotal: e.AttemptTotal, AttemptNumber: e.AttemptNumber, NotificationTaskID: e.NotificationTaskID}
	if e.VerifyCode != nil {
		v.VerifyCode = *e.VerifyCode // VerifyCode.Format redacts the code
	}
	if e.Channel != nil {
		type plain ChannelEvent
		v.Channel = plain(*e.Channel)
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), v)
}

// LogValue implements slog.LogValuer: an event logged with slog shows as its
// %+v form, code redacted, with any handler (the JSON handler would
// otherwise encode the code with MarshalJSON).
func (e LOX24Event) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", e))
}

// Deduper records which LOX24 webhook events were handled, so that app
// instances behind a load balancer handle each event once. Keys are event
// ids. verify.MemoryStore (one process) and redisstore.Store (shared by every
// instance) implement it; NewLOX24WebhookHandler uses an in-memory one of its
// own unless WithWebhookDedup gives another.
//
// A claim belongs to its holder, a random value the handler picks for each
// delivery: only that delivery can release it. A delivery whose lease ran
// out while fn was still running (and whose event another delivery then
// claimed) cannot drop the newer claim when it fails, which would let a
// third delivery run fn beside the second.
//
// The handler refuses ids longer than MaxWebhookEventIDBytes before any
// Deduper call; the implementations in this module also store a longer id
// (or holder) as its SHA-256, so a direct caller cannot grow them by
// more than a bounded amount per id either.
type Deduper interface {
	// Claim marks id as being handled by holder for at most lease and
	// reports whether holder got it. It returns false when id is being
	// handled (an unexpired claim, whoever holds it) or was handled
	// (Done).
	Claim(ctx context.Context, id, holder string, lease time.Duration) (bool, error)
	// Done marks id as handled and keeps it for keep, whoever holds its
	// claim: the caller did handle the event, even if its lease ran out and
	// another delivery claimed it meanwhile.
	Done(ctx context.Context, id string, keep time.Duration) error
	// Release drops the claim of an event whose handling failed, so its
	// next delivery runs again; only while holder holds it. A claim of
	// another holder, a done mark or nothing stays as it is.
	Release(ctx context.Context, id, holder string) error
}
