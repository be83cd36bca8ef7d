package otpkit

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// FuzzParseRetryAfter: any header value gives a wait that is never
// negative, at most a year in the seconds form, and the number itself when
// it is a plain count of seconds.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", " 7 ", "-1", "1.5", "3600", "99999999999999999999",
		"Sun, 22 Nov 2026 10:00:30 GMT", "Sunday, 22-Nov-26 10:00:30 GMT", "Sun Nov 22 10:00:30 2026", "Fri, 31 Dec 9999 23:59:59 GMT", "soon"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, now)
		assert.GreaterOrEqual(t, d, time.Duration(0))
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			want := time.Duration(min(max(n, 0), 365*24*3600)) * time.Second
			assert.Equal(t, want, d)
		}
		if ht, err := http.ParseTime(strings.TrimSpace(v)); err == nil && ht.After(now) && ht.Sub(now) < 1000*time.Hour {
			assert.Equal(t, ht.Sub(now), d)
		}
	})
}

// FuzzPlainText: a message taken from a non-JSON error body is one short
// line of valid UTF-8, and never markup.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"Client ID or API key isn't active or invalid!\n", "<!DOCTYPE html><html>", "   ", "first\nsecond",
		"\x00binary", "{\"detail\":1}", strings.Repeat("é", 150), "\xff\xfe", "\ufeff<!DOCTYPE html>\n<html>", "\xcb<"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := plainText(body)
		assert.LessOrEqual(t, len(s), 200)
		assert.True(t, utf8.ValidString(s), "%q", s)
		assert.NotContains(t, s, "\n")
		assert.False(t, strings.HasPrefix(s, "<"), "%q", s)
	})
}

// FuzzRedactCodes: whatever the body, no "code" member keeps a value that
// is not the redaction, and a body without one is unchanged.
func FuzzRedactCodes(f *testing.F) {
	for _, s := range []string{`{"id":"d7ad7539","code":"58129437","created_at":"x"}`, `{"code" : "1234" , "x":1}`,
		`{"code":"12\"34"}`, `{"code":"12\\"}`, `{"code":null}`, `[{"code":"1"},{"code":"2"}]`, `no json`, `{"code":"unterminated`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := codeMember.ReplaceAll(body, []byte(`"code":"`+redacted+`"`))
		if !codeMember.Match(body) {
			assert.Equal(t, string(body), string(out))
			return
		}
		for _, m := range codeMember.FindAll(out, -1) {
			assert.Equal(t, `"code":"`+redacted+`"`, string(m))
		}
	})
}

// TestPlainTextDropsHiddenMarkup: an HTML page behind a byte-order mark, or
// a body that is not text, is no message.
func TestPlainTextDropsHiddenMarkup(t *testing.T) {
	assert.Equal(t, "", plainText([]byte("\ufeff<!DOCTYPE html>\n<html><body>502</body></html>")))
	assert.Equal(t, "", plainText([]byte("\xcb<html>")))
	assert.Equal(t, "", plainText([]byte("\x89PNG\r\n")))
	assert.Equal(t, "Service Unavailable", plainText([]byte("\ufeffService Unavailable\r\n")))
}
