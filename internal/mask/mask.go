// Package mask hides personal data (phone numbers, e-mail addresses, IP
// addresses) in what a value prints: its fmt and slog forms. The root
// package, the mock and verify share it, so that a number looks the same
// in all of them.
package mask

// Redacted stands for a value that shows nothing of itself.
const Redacted = "[REDACTED]"

// Personal returns s fit to print: a phone number keeps its leading "+",
// if any, and its first 2 digits, followed by "…" ("+4917012345678" gives
// "+49…", "447123123456" gives "44…"), so that a log line still tells a
// German number from a British one. A phone number here is an optional "+"
// then at least 3 digits, possibly separated by spaces, "-", "/", "(" and
// ")" ("+49 (170) 123-4567"), so at least one digit is always hidden.
// Anything else that is not empty (an e-mail address, an IP address, a
// number written any other way) becomes Redacted. Empty stays empty, so
// that an unset field still reads as unset.
func Personal(s string) string {
	if s == "" {
		return ""
	}
	rest, plus := s, ""
	if rest[0] == '+' {
		rest, plus = rest[1:], "+"
	}
	var first [2]byte
	n := 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= '0' && c <= '9':
			if n < len(first) {
				first[n] = c
			}
			n++
		case c == ' ' || c == '-' || c == '/' || c == '(' || c == ')':
		default:
			return Redacted
		}
	}
	if n < 3 {
		return Redacted
	}
	return plus + string(first[:]) + "…"
}
