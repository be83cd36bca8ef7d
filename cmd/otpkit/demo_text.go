package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/otpkit/otpkit"
)

// mask shows the first two characters of a code and hides the rest, the way
// a code may appear in a log: enough to tell two codes apart, not enough to
// use one.
func mask(code string) string {
	if len(code) <= 2 {
		return strings.Repeat("•", len(code))
	}
	return code[:2] + strings.Repeat("•", len(code)-2)
}

// wrongCode returns a code of the same length that differs from code in
// every digit, as a user's typo would (and passes the 4-8 digit format
// check, so the provider, not the client, rejects it). Changing every digit
// keeps it distinguishable from code even when masked.
func wrongCode(code string) string {
	b := []byte(code)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	return string(b)
}

// sentinels are the otpkit errors the demo names, in the order they are
// tried.
var sentinels = []struct {
	name string
	err  error
}{
	{"ErrInvalidCode", otpkit.ErrInvalidCode},
	{"ErrMaxAttempts", otpkit.ErrMaxAttempts},
	{"ErrNotFound", otpkit.ErrNotFound},
	{"ErrInvalidRequest", otpkit.ErrInvalidRequest},
	{"ErrUnauthorized", otpkit.ErrUnauthorized},
	{"ErrForbidden", otpkit.ErrForbidden},
	{"ErrInsufficientFunds", otpkit.ErrInsufficientFunds},
	{"ErrRateLimited", otpkit.ErrRateLimited},
	{"ErrDeliveryFailed", otpkit.ErrDeliveryFailed},
	{"ErrServer", otpkit.ErrServer},
	{"ErrMissingCredentials", otpkit.ErrMissingCredentials},
}

// describe names err the way a program handles it: the sentinel it matches
// with errors.Is, then what errors.As finds (status and provider code, or
// the field a client-side check refused).
func describe(err error) string {
	name := "error"
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			name = "otpkit." + s.name
			break
		}
	}
	var ae *otpkit.APIError
	if errors.As(err, &ae) {
		detail := fmt.Sprintf("HTTP %d", ae.StatusCode)
		if ae.Code != "" {
			detail += " " + ae.Code
		}
		if ae.Message != "" && ae.Code == "" {
			detail += ", " + strings.ReplaceAll(ae.Message, "\n", "; ")
		}
		return name + " (" + detail + ")"
	}
	var ve *otpkit.ValidationError
	if errors.As(err, &ve) {
		return fmt.Sprintf("%s (client-side, nothing sent: %s: %s)", name, ve.Field, ve.Reason)
	}
	return name + " (" + err.Error() + ")"
}

// expectErr checks that a demo step failed the documented way.
func expectErr(err, want error) error {
	if err == nil {
		return fmt.Errorf("succeeded, want an error matching %v", want)
	}
	if !errors.Is(err, want) {
		return fmt.Errorf("got %v, want an error matching %v", err, want)
	}
	return nil
}
