package safetext

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain text", 100, "plain text"},
		{"a\r\x1b[32mb\x1b[0m", 100, "a[32mb[0m"},
		{"x\u009b2Ky\x7f\u202ez\x00", 100, "x2Kyz"},
		{"one\ntwo", 100, "one; two"},
		{"bad \xff utf8", 100, "bad  utf8"},
		{"abcdefghij", 10, "abcdefghij"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"äöüäöüäöü", 8, "äö…"},
	} {
		assert.Equal(t, tc.want, Clean(tc.in, tc.max), "%q", tc.in)
	}
}

func FuzzClean(f *testing.F) {
	f.Add("a\r\x1b[32mb\u009b\u202e\n", 12)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max%300 + 300
		if max < 4 {
			max = 4
		}
		out := Clean(s, max)
		assert.LessOrEqual(t, len(out), max)
		assert.True(t, utf8.ValidString(out))
		for _, r := range out {
			assert.False(t, unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r), "%U", r)
		}
	})
}

func TestWriterDropsControlsAcrossWrites(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	in := "ok\tstatus\r\x1b[32m approved\u009b\u202e\näöü\n"
	for i := 0; i < len(in); i++ { // byte by byte: characters split across writes
		n, err := w.Write([]byte{in[i]})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
	assert.Equal(t, "ok\tstatus[32m approved\näöü\n", b.String())
	assert.False(t, strings.ContainsAny(b.String(), "\r\x1b"))
}
