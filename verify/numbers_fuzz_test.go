package verify_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// e164 is the canonical form: "+", then 7 to 15 digits, the first not 0
// (libphonenumber's shortest valid numbers, in Niue and Saint Helena, have 7
// with their country code).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzParseNumber: whatever the input and region, ParseNumber never
// panics; it either refuses with a *otpkit.ValidationError, or returns a
// canonical E.164 number that reads back as itself, without a region and in
// its own region, with the same region, country code and type.
func FuzzParseNumber(f *testing.F) {
	for _, seed := range [][2]string{
		{"+4917012345678", ""}, {"0170 1234567", "DE"}, {"0049 170 1234567", ""}, {"+49 0170 1234567", ""},
		{"(201) 555-0123", "US"}, {"011 44 7400 123456", "US"}, {"＋４９ １７０ １２３４５６７", ""},
		{"+800 1234 5678", ""}, {"+979 1 2345 6789", ""}, {"+39 06 1234 5678", ""}, {"+262 269 61 23 45", "RE"},
		{"++", ""}, {"", "DE"}, {"0", "ZZ"}, {"+1 800 FLOWERS", "us"}, {"\xff", ""}, {"00", ""}, {"+0", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		n, err := verify.ParseNumber(s, region)
		if err != nil {
			var ve *otpkit.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("not a ValidationError: %T %v", err, err)
			}
			return
		}
		if !e164.MatchString(n.E164) {
			t.Fatalf("not canonical E.164: %q", n.E164)
		}
		if n.Region == "" || n.CountryCode <= 0 || n.Type == verify.TypeUnknown {
			t.Fatalf("incomplete: %+v", n)
		}
		for _, r := range []string{"", n.Region} {
			if r == "001" {
				continue // not a region one reads numbers in
			}
			again, err := verify.ParseNumber(n.E164, r)
			if err != nil || again != n {
				t.Fatalf("%q does not read back as itself in %q: %+v, %v", n.E164, r, again, err)
			}
		}
	})
}
