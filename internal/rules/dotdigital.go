package rules

import (
	"regexp"
	"strings"
	"time"
)

// dotdigital failure codes for sending and validating.
const (
	DotdigitalToEmpty                    = "ToEmpty"
	DotdigitalToInvalid                  = "ToInvalid"
	DotdigitalFromInvalid                = "FromInvalid"
	DotdigitalCountryIsoCodeInvalid      = "CountryIsoCodeInvalid"
	DotdigitalBodyMissingCodePlaceholder = "BodyMissingCodePlaceholder"
	DotdigitalValidUntilInvalid          = "ValidUntilInvalid"
	DotdigitalPayloadInvalid             = "PayloadInvalid"
	DotdigitalCodeEmpty                  = "CodeEmpty"
)

// DotdigitalMaxValidity is the furthest ahead validUntil may lie.
const DotdigitalMaxValidity = 24 * time.Hour

var (
	ddToRE      = regexp.MustCompile(`^\+?[0-9]{7,15}$`)
	ddFromNumRE = regexp.MustCompile(`^[0-9]{2,15}$`)
	ddFromAlpha = regexp.MustCompile(`^[0-9A-Za-z\-_. ]{2,11}$`)
	ddCountryRE = regexp.MustCompile(`^[A-Z]{3}$`)
)

// DotdigitalSend is a send body as decoded. ValidUntil is nil when absent.
type DotdigitalSend struct {
	To, From, CountryIsoCode, Body string
	ValidUntil                     *time.Time
}

// DotdigitalSendViolations checks a send body at time now. Field is the
// property, Code the failureCode and Message the details.
func DotdigitalSendViolations(s DotdigitalSend, now time.Time) []Violation {
	var vs []Violation
	add := func(prop, code, details string) { vs = append(vs, Violation{prop, code, details}) }
	switch {
	case strings.TrimSpace(s.To) == "":
		add("to", DotdigitalToEmpty, "to cannot be null or empty")
	case !ddToRE.MatchString(s.To):
		add("to", DotdigitalToInvalid, "to must be a phone number of 7 to 15 digits")
	case strings.HasPrefix(s.To, "0") && s.CountryIsoCode == "":
		add("to", DotdigitalToInvalid, "a national number needs countryIsoCode")
	}
	if s.From != "" && !ddFromNumRE.MatchString(s.From) && !ddFromAlpha.MatchString(s.From) {
		add("from", DotdigitalFromInvalid, "from must be 2 to 15 digits or 2 to 11 letters, digits, spaces, '-', '_' or '.'")
	}
	if s.CountryIsoCode != "" && !ddCountryRE.MatchString(s.CountryIsoCode) {
		add("countryIsoCode", DotdigitalCountryIsoCodeInvalid, "countryIsoCode must be an ISO 3166-1 alpha-3 code")
	}
	if s.Body != "" && !strings.Contains(s.Body, "{{code}}") {
		add("body", DotdigitalBodyMissingCodePlaceholder, "body must contain the {{code}} placeholder")
	}
	if s.ValidUntil != nil {
		if !s.ValidUntil.After(now) {
			add("validUntil", DotdigitalValidUntilInvalid, "validUntil must be in the future")
		} else if s.ValidUntil.Sub(now) > DotdigitalMaxValidity {
			add("validUntil", DotdigitalValidUntilInvalid, "validUntil must be at most 24 hours ahead")
		}
	}
	return vs
}

// DotdigitalCodeEmptyViolation is the failure for a validate without a code.
var DotdigitalCodeEmptyViolation = Violation{"verifyCode", DotdigitalCodeEmpty, "verifyCode cannot be null or empty"}
