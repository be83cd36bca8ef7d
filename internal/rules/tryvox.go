package rules

import "strings"

// TryvoxChannels are the channels Tryvox sends codes over.
var TryvoxChannels = []string{"sms", "voice", "whatsapp", "email"}

// TryvoxCheckCodeMessage is Tryvox's message for a malformed check code.
const TryvoxCheckCodeMessage = "Code must be 4-8 digits"

// TryvoxStart is a start body as decoded; nil pointers are absent or null.
type TryvoxStart struct {
	To            *string
	Channel       *string
	CodeLength    *int
	CustomMessage *string
}

// TryvoxStartViolations checks a start body. Message is the reason Tryvox
// puts in details[].reason.
func TryvoxStartViolations(s TryvoxStart) []Violation {
	var vs []Violation
	add := func(field, reason string) { vs = append(vs, Violation{Field: field, Message: reason}) }
	ch := ""
	if s.Channel == nil || *s.Channel == "" {
		add("channel", "is required")
	} else if ch = *s.Channel; !contains(TryvoxChannels, ch) {
		add("channel", "must be one of sms, voice, whatsapp, email")
		ch = ""
	}
	switch {
	case s.To == nil || *s.To == "":
		add("to", "is required")
	case ch == "email":
		if !Email(*s.To) {
			add("to", "must be a valid email address")
		}
	case ch != "":
		if !E164(*s.To) {
			add("to", "must be an E.164 phone number")
		}
	}
	if s.CodeLength != nil && (*s.CodeLength < 4 || *s.CodeLength > 8) {
		add("code_length", "must be between 4 and 8")
	}
	if s.CustomMessage != nil && !strings.Contains(*s.CustomMessage, "{{code}}") {
		add("custom_message", "must contain {{code}}")
	}
	return vs
}

// TryvoxCheckViolations checks a check body: an id and a code of 4–8 digits.
func TryvoxCheckViolations(verificationID, code string) []Violation {
	var vs []Violation
	if verificationID == "" {
		vs = append(vs, Violation{Field: "verification_id", Message: "is required"})
	}
	if !DigitsBetween(code, 4, 8) {
		vs = append(vs, Violation{Field: "code", Message: TryvoxCheckCodeMessage})
	}
	return vs
}
