package verify

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/rules"
)

// maxRecipient caps a recipient's length: a phone number or an address,
// never a document.
const maxRecipient = 256

// canonicalRecipient returns r in the one form the Guard counts it in: a
// phone number in E.164 as given, an e-mail address lower-cased. Anything
// else is a *otpkit.ValidationError that never repeats r.
func canonicalRecipient(r string) (string, error) {
	switch {
	case r == "":
		return "", &otpkit.ValidationError{Field: "recipient", Reason: "is empty"}
	case len(r) > maxRecipient:
		return "", &otpkit.ValidationError{Field: "recipient", Reason: "is longer than 256 bytes"}
	case rules.E164(r):
		return r, nil
	case strings.IndexFunc(r, func(c rune) bool { return c > unicode.MaxASCII || unicode.IsControl(c) }) < 0 && rules.Email(r):
		return strings.ToLower(r), nil
	}
	return "", &otpkit.ValidationError{Field: "recipient",
		Reason: "must be a phone number in E.164 (+ and 7 to 15 digits, e.g. +4917012345678) or an e-mail address; see verify.ParseNumber"}
}

// checkCode refuses a code that is not exactly n ASCII digits. It never puts
// the code in the error.
func checkCode(code string, n int) error {
	if len(code) != n {
		return &otpkit.ValidationError{Field: "code", Reason: "must be exactly " + strconv.Itoa(n) + " digits"}
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return &otpkit.ValidationError{Field: "code", Reason: "must be digits only"}
		}
	}
	return nil
}

// ipKey normalises a client address: an IPv4 address as is, an IPv6 address
// as its /64 network (one client can hold a whole /64), a port dropped. An
// empty ip is "": no IP rule.
func ipKey(ip string) (string, error) {
	if ip == "" {
		return "", nil
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		ap, perr := netip.ParseAddrPort(ip)
		if perr != nil {
			return "", &otpkit.ValidationError{Field: "ip", Reason: "is not an IP address"}
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String(), nil
	}
	p, _ := addr.Prefix(64)
	return p.String(), nil
}

// prefixOf returns the first n digits of recipient, skipping a "+" and any
// other non-digit; fewer when it has fewer; "" when it has none (the prefix
// rule then does not apply).
func prefixOf(recipient string, n int) string {
	b := make([]byte, 0, n)
	for i := 0; i < len(recipient) && len(b) < n; i++ {
		if c := recipient[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}
