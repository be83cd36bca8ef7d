package mock

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Every id and code the mock hands out comes from crypto/rand, as the
// providers' do: a test that guesses ids or codes must fail the same way it
// would against the real service.

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	digits     = "0123456789"
)

// randomFrom returns n characters drawn uniformly from alphabet (at most 256
// characters), rejecting the bytes that would bias the draw.
func randomFrom(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		want := min(2*(n-len(out))+8, len(buf))
		rand.Read(buf[:want])
		for _, b := range buf[:want] {
			if int(b) < limit {
				out = append(out, alphabet[int(b)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// randomDigits is a numeric code of n digits (leading zeros allowed).
func randomDigits(n int) string { return randomFrom(digits, n) }

// newUUID is a random (version 4) UUID in lowercase hyphenated form, the
// form of LOX24 ids and dotdigital requestIds.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// isUUID reports whether s is a hyphenated UUID (any case).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// newLOX24RequestID is an X-LOX24-REQUEST-ID: 32 characters of [A-Za-z0-9].
func newLOX24RequestID() string { return randomFrom(alnum, 32) }

// newTryvoxID is a Tryvox verification id: "ver_" and 24 lowercase
// alphanumerics.
func newTryvoxID() string { return "ver_" + randomFrom(lowerAlnum, 24) }

// fillCode replaces every {{code}} in template with code.
func fillCode(template, code string) string {
	return strings.ReplaceAll(template, "{{code}}", code)
}
