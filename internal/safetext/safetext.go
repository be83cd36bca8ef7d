// Package safetext makes text that came from a provider (or anyone else
// outside the program) safe to show on a terminal or in a log line: no
// control character can move the cursor, repaint or reorder what is shown,
// and its length is bounded.
package safetext

import (
	"io"
	"sync"
	"unicode/utf8"
)

// hidden reports whether r must not reach a terminal: C0 controls, DEL, C1
// controls (U+009B is a CSI on many terminals), the Unicode bidirectional
// controls and the line and paragraph separators.
func hidden(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// Clean returns s without the characters hidden drops and without invalid
// UTF-8, cut to at most max bytes at a character boundary ("…" marks a
// cut, within max). A line break becomes "; " so a message stays one line.
func Clean(s string, max int) string {
	if len(s) <= max && plain(s) {
		return s
	}
	out := make([]byte, 0, min(len(s), max))
	const ellipsis = "…"
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		var add string
		switch {
		case r == '\n':
			add = "; "
		case r == utf8.RuneError && size == 1, hidden(r):
			continue
		default:
			add = s[i-size : i]
		}
		if len(out)+len(add) > max { // cut: make room for the ellipsis
			for len(out) > 0 && len(out)+len(ellipsis) > max {
				_, size := utf8.DecodeLastRune(out)
				out = out[:len(out)-size]
			}
			if len(out)+len(ellipsis) <= max {
				out = append(out, ellipsis...)
			}
			break
		}
		out = append(out, add...)
	}
	return string(out)
}

// plain reports whether s is printable ASCII.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// Writer passes what is written to it on without the characters hidden
// drops, keeping tab and line feed; invalid UTF-8 is dropped too. A
// character split across two writes is put together first. It is safe for
// concurrent use.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	tail []byte // the start of a character the last write ended in
	buf  []byte
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p without its control characters. It reports len(p) when
// the underlying writer took everything that was kept.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	in := p
	if len(w.tail) > 0 {
		in = append(w.tail, p...)
		w.tail = nil
	}
	out := w.buf[:0]
	for i := 0; i < len(in); {
		if !utf8.FullRune(in[i:]) {
			w.tail = append([]byte(nil), in[i:]...)
			break
		}
		r, size := utf8.DecodeRune(in[i:])
		if (r != utf8.RuneError || size > 1) && (r == '\t' || r == '\n' || !hidden(r)) {
			out = append(out, in[i:i+size]...)
		}
		i += size
	}
	w.buf = out
	if len(out) == 0 {
		return len(p), nil
	}
	if _, err := w.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
