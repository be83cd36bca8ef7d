// Package rules holds the request constraints of the three providers, shared
// by the client (which checks them before sending) and the mock (which
// answers violations the way each provider does), so the two never disagree.
package rules

import (
	"crypto/subtle"
	"regexp"
	"unicode/utf8"
)

// Violation is one broken constraint. Field is the provider's name for the
// field (a LOX24 propertyPath such as "routing_strategy[1].template", a
// Tryvox field, a dotdigital property); Code is the provider's machine code
// (a Symfony constraint UUID for LOX24, a failureCode for dotdigital, empty
// for Tryvox); Message is the provider's human text.
type Violation struct {
	Field   string
	Code    string
	Message string
}

// CodesEqual compares two codes in constant time (for equal lengths), so a
// timing side channel does not reveal how much of a guess was right.
func CodesEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Digits reports whether s is non-empty and only ASCII digits.
func Digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DigitsBetween reports whether s is min to max ASCII digits.
func DigitsBetween(s string, min, max int) bool {
	return len(s) >= min && len(s) <= max && Digits(s)
}

// runes counts characters the way Symfony's Length constraint does.
func runes(s string) int { return utf8.RuneCountInString(s) }

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// E164 reports whether s is an E.164 number: + and 7 to 15 ASCII digits,
// the first not 0 (what `^\+[1-9]\d{6,14}$` matches, without a regexp:
// the Guard asks it on every decision).
func E164(s string) bool {
	return len(s) >= 8 && len(s) <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' && Digits(s[2:])
}

// Email reports whether s looks like an email address (local@domain.tld).
func Email(s string) bool { return len(s) <= 254 && emailRE.MatchString(s) }
