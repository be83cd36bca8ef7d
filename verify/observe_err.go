package verify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/otpkit/otpkit"
)

// eventErr is an error as an Event carries it. Its text is made only of
// this package's and otpkit's own words: a provider's message, a response
// body, a URL with an id in its path or a network address never reach a
// log line or a span through an event. What the error means stays
// reachable: errors.Is matches whatever the original matched, and
// errors.As finds the errors whose fields are safe to show (*LimitError,
// *InvalidCodeError, *otpkit.ValidationError), never an *otpkit.APIError
// with its body.
type eventErr struct {
	text string
	orig error
}

// Error is the safe text.
func (e *eventErr) Error() string { return e.text }

// Is matches what the original error matches.
func (e *eventErr) Is(target error) bool { return errors.Is(e.orig, target) }

// As finds the original's safe errors.
func (e *eventErr) As(target any) bool {
	switch target.(type) {
	case **LimitError, **InvalidCodeError, **otpkit.ValidationError:
		return errors.As(e.orig, target)
	}
	return false
}

// eventMeanings are the sentinels an event's error is described by, the
// most telling first; the first one the error matches gives its text.
var eventMeanings = []struct {
	sentinel error
	text     string
}{
	{ErrStore, "verify: store failed"},
	{ErrSendInProgress, "verify: a send with this idempotency key is in progress"},
	{otpkit.ErrMissingCredentials, "otpkit: missing credentials (not sent)"},
	{otpkit.ErrMaxAttempts, "verify: the code's attempts are used up"},
	{otpkit.ErrInvalidCode, "verify: invalid code"},
	{otpkit.ErrNotFound, "verify: no live code (expired, used or unknown)"},
	{otpkit.ErrRateLimited, "otpkit: rate limited"},
	{otpkit.ErrUnauthorized, "otpkit: unauthorized"},
	{otpkit.ErrForbidden, "otpkit: forbidden"},
	{otpkit.ErrInsufficientFunds, "otpkit: insufficient funds"},
	{otpkit.ErrDeliveryFailed, "otpkit: delivery failed"},
	{otpkit.ErrServer, "otpkit: server error"},
	{otpkit.ErrInvalidRequest, "otpkit: invalid request"},
	{otpkit.ErrNotSent, "otpkit: request not sent"},
	{context.DeadlineExceeded, "context deadline exceeded"},
	{context.Canceled, "context canceled"},
}

// eventError returns err in the form an Event carries (see eventErr); nil
// for nil.
func eventError(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*eventErr); ok {
		return e
	}
	text, _ := describe(err)
	return &eventErr{text: text, orig: err}
}

// storeEventError is eventError for an error of the Store
// (EventStoreError): its text says so, whatever the store's own error was.
func storeEventError(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*eventErr); ok {
		return e
	}
	const prefix = "verify: store failed"
	inner := err
	var se *storeError
	if errors.As(err, &se) {
		inner = se.err // what the store's error means beyond being one
	}
	text, known := describe(inner)
	switch {
	case !known:
		text = prefix
	case !strings.HasPrefix(text, prefix):
		text = prefix + ": " + text
	}
	return &eventErr{text: text, orig: err}
}

// describe is err's event text, and whether anything but its type
// described it.
func describe(err error) (text string, known bool) {
	var se *SendError
	if errors.As(err, &se) {
		return sendErrorText(se), true
	}
	// The Guard's own errors say nothing they should not (a rule and a
	// wait, attempts left, a field and a fixed reason): their text stays.
	var le *LimitError
	var ice *InvalidCodeError
	var ve *otpkit.ValidationError
	switch {
	case errors.As(err, &le):
		return le.Error(), true
	case errors.As(err, &ice):
		return ice.Error(), true
	case errors.As(err, &ve):
		return ve.Error(), true
	}
	// A transport failure: whether it may have gone out is what matters.
	if errors.Is(err, otpkit.ErrUnavailable) {
		text = "otpkit: provider unavailable"
		if errors.Is(err, otpkit.ErrNotSent) {
			text += " (not sent)"
		} else {
			text += " (may have been sent)"
		}
	}
	for _, m := range eventMeanings {
		if text != "" {
			break
		}
		if errors.Is(err, m.sentinel) {
			text = m.text
		}
	}
	var ae *otpkit.APIError
	if errors.As(err, &ae) {
		if text == "" {
			text = "otpkit: provider error"
		}
		text += " (" + string(safeProvider(ae.Provider)) + " HTTP " + strconv.Itoa(ae.StatusCode) + ")"
	}
	if text == "" {
		// Its type helps find it; its text may hold anything.
		return fmt.Sprintf("verify: %T (text withheld from events)", err), false
	}
	return text, true
}

// safeProvider is p when it is one of otpkit's providers, else "provider".
func safeProvider(p otpkit.Provider) otpkit.Provider {
	switch p {
	case otpkit.ProviderLOX24, otpkit.ProviderTryvox, otpkit.ProviderDotdigital:
		return p
	}
	return "provider"
}

// sendErrorText describes a *SendError by its errors' event texts.
func sendErrorText(se *SendError) string {
	var b strings.Builder
	if se.Err != nil {
		b.WriteString("verify: send failed: ")
		b.WriteString(eventError(se.Err).Error())
		b.WriteString("; after failing over from: ")
	} else {
		b.WriteString("verify: no provider could send: ")
	}
	for i, err := range se.Failovers {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(eventError(err).Error())
	}
	return b.String()
}
