package otpkit

import (
	"bytes"
	"encoding/json"
	"time"
)

// Decoding forms of the response models.
//
// encoding/json decodes a value whose type has its own UnmarshalJSON in
// extra passes: it scans ahead to find where the value ends, then the
// method decodes those bytes again from the start with a new decoder. A
// LOX24 verify code, whose history entries convert their own timestamps,
// took twice as long to decode that way as a plain struct of the same
// fields, and 24 more allocations. The calls decode into these forms
// directly, in one pass (only the timestamp strings have a decoder of their
// own, which needs no look-ahead), and convert to the models; the models'
// UnmarshalJSON methods delegate to them, so each wire form has one decoder.

// verifyCodeIn decodes a VerifyCode.
type verifyCodeIn struct {
	verifyCodeFields
	CreatedAt int64              `json:"created_at"`
	UpdatedAt int64              `json:"updated_at"`
	History   []historyEntryWire `json:"history"` // hides verifyCodeFields.History
}

func (w *verifyCodeIn) missing() string {
	if w.ID == "" {
		return `"id"`
	}
	return ""
}

func (w *verifyCodeIn) model() VerifyCode {
	v := VerifyCode(w.verifyCodeFields)
	v.CreatedAt, v.UpdatedAt = fromUnix(w.CreatedAt), fromUnix(w.UpdatedAt)
	v.History = nil
	if w.History != nil {
		v.History = make([]HistoryEntry, len(w.History))
		for i := range w.History {
			h := &w.History[i]
			v.History[i] = HistoryEntry(h.historyEntryFields)
			v.History[i].ProcessedAt = fromUnix(h.ProcessedAt)
		}
	}
	return v
}

// verificationIn decodes a Verification.
type verificationIn struct {
	verificationFields
	CreatedAt timeIn[rfc3339] `json:"created_at"`
	ExpiresAt timeIn[rfc3339] `json:"expires_at"`
}

func (w *verificationIn) model() Verification {
	v := Verification(w.verificationFields)
	v.CreatedAt, v.ExpiresAt = w.CreatedAt.t, w.ExpiresAt.t
	return v
}

// codeStatusIn decodes a CodeStatus.
type codeStatusIn struct {
	codeStatusFields
	Created  timeIn[rfc3339Nano] `json:"created"`
	Verified timeIn[rfc3339Nano] `json:"verified"`
}

// missing: a send's answer identifies its request.
func (w *codeStatusIn) missing() string {
	if w.RequestID == "" {
		return `"requestId"`
	}
	return ""
}

// validatedIn decodes a CodeStatus that answers a validation, which must
// say the outcome too.
type validatedIn struct{ codeStatusIn }

func (w *validatedIn) missing() string {
	if w.RequestID == "" || w.Status == "" {
		return `"requestId" or "status"`
	}
	return ""
}

func (w *codeStatusIn) model() CodeStatus {
	s := CodeStatus(w.codeStatusFields)
	s.Created = w.Created.t
	s.Verified = nil
	if w.Verified.set {
		v := w.Verified.t
		s.Verified = &v
	}
	return s
}

// timeIn decodes an optional timestamp string in the layout L names:
// null, "" and an absent member are the zero time with set false.
type timeIn[L layout] struct {
	t   time.Time
	set bool // a non-empty string was decoded
}

// UnmarshalJSON parses the string in place, without a decoder of its own.
func (ti *timeIn[L]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		s = string(b[1 : len(b)-1])
	} else {
		var unquoted string // escapes to the heap: only on this rare path
		if err := json.Unmarshal(b, &unquoted); err != nil {
			return err
		}
		s = unquoted
	}
	if s == "" {
		return nil
	}
	var l L
	t, err := time.Parse(l.layout(), s) // as parseTimeOrZero, without making s escape
	if err != nil {
		return err
	}
	ti.t, ti.set = t.UTC(), true
	return nil
}

// layout names a time layout as a type, for timeIn.
type layout interface{ layout() string }

type rfc3339 struct{}

func (rfc3339) layout() string { return time.RFC3339 }

type rfc3339Nano struct{}

func (rfc3339Nano) layout() string { return time.RFC3339Nano }
