package mask

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPersonal(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"+4917012345678":        "+49…",
		"447123123456":          "44…",
		"+49 (170) 123-4567":    "+49…",
		"0170/1234567":          "01…",
		"+1 555 0100":           "+15…",
		"123":                   "12…",
		"12":                    Redacted, // all of it would show
		"+":                     Redacted,
		"+ 1":                   Redacted,
		"user@example.com":      Redacted,
		"198.51.100.7":          Redacted,
		"2001:db8::1":           Redacted,
		"+49 170 1234567 x12":   Redacted,
		"++4917012345678":       Redacted,
		"+49\n170":              Redacted,
		"٠١٢٣٤٥٦٧٨٩":            Redacted, // Arabic-Indic digits: not ASCII, shown as nothing
		"+4917012345678 ":       "+49…",
		"abc":                   Redacted,
		"+49170123456789012345": "+49…",
	} {
		assert.Equal(t, want, Personal(in), "Personal(%q)", in)
	}
}

// TestPersonalShowsAtMostTwoDigits checks the promise of the doc comment on
// inputs of every length: the output never holds more than 2 digits, and
// never a digit the input did not start with.
func TestPersonalShowsAtMostTwoDigits(t *testing.T) {
	const number = "+4917012345678"
	for i := 0; i <= len(number); i++ {
		in := number[:i]
		out := Personal(in)
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, out)
		assert.LessOrEqual(t, len(digits), 2, "Personal(%q) = %q", in, out)
		assert.True(t, strings.HasPrefix(strings.TrimPrefix(in, "+"), digits), "Personal(%q) = %q", in, out)
		if in != "" {
			assert.NotEqual(t, in, out, "Personal(%q) hides something", in)
		}
	}
}
