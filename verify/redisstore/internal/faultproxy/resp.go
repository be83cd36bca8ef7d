package faultproxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxLen bounds a bulk string or an aggregate's length: a larger one is a
// broken stream, not a value.
const maxLen = 1 << 30

// frameReader reads whole RESP2/RESP3 values from a stream, keeping their
// bytes as they came so that they can be forwarded unchanged.
type frameReader struct {
	r   *bufio.Reader
	buf []byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// request reads a client's command (a RESP array of bulk strings, or an
// inline command) and returns its bytes and its name in lower case.
func (f *frameReader) request() ([]byte, string, error) {
	f.buf = nil
	b, err := f.r.Peek(1)
	if err != nil {
		return nil, "", err
	}
	if b[0] != '*' {
		line, err := f.line()
		if err != nil {
			return nil, "", err
		}
		name, _, _ := strings.Cut(strings.TrimSpace(string(line)), " ")
		return f.buf, strings.ToLower(name), nil
	}
	var name string
	if err := f.value(0, &name); err != nil {
		return nil, "", err
	}
	return f.buf, strings.ToLower(name), nil
}

// reply reads one reply of the server (an attribute and the value it
// annotates count as one) and returns its bytes and its type byte.
func (f *frameReader) reply() ([]byte, byte, error) {
	f.buf = nil
	for {
		start := len(f.buf)
		if err := f.value(0, nil); err != nil {
			return nil, 0, err
		}
		if t := f.buf[start]; t != '|' {
			return f.buf, t, nil
		}
	}
}

// line reads a line through its "\n", appends it to buf and returns it
// without its "\r\n".
func (f *frameReader) line() ([]byte, error) {
	start := len(f.buf)
	for {
		chunk, err := f.r.ReadSlice('\n')
		f.buf = append(f.buf, chunk...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		if len(f.buf)-start > maxLen {
			return nil, errors.New("faultproxy: line too long")
		}
	}
	l := f.buf[start : len(f.buf)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}

// value reads one RESP value into buf; when name is not nil and the value
// is an array, the first element's text goes to *name.
func (f *frameReader) value(depth int, name *string) error {
	if depth > 64 {
		return errors.New("faultproxy: values nested too deep")
	}
	l, err := f.line()
	if err != nil {
		return err
	}
	if len(l) == 0 {
		return errors.New("faultproxy: empty line where a value belongs")
	}
	switch t := l[0]; t {
	case '+', '-', ':', '_', ',', '(', '#':
		return nil
	case '$', '!', '=':
		n, err := length(l)
		if err != nil || n < 0 {
			return err // $-1: a null
		}
		start := len(f.buf)
		// Grow as the bytes come, not by the length a broken stream claims.
		for left := n + 2; left > 0; {
			step := min(left, 64<<10)
			at := len(f.buf)
			f.buf = append(f.buf, make([]byte, step)...)
			if _, err := io.ReadFull(f.r, f.buf[at:]); err != nil {
				return err
			}
			left -= step
		}
		if name != nil {
			*name = string(f.buf[start : start+n])
		}
		return nil
	case '*', '~', '>', '%', '|':
		n, err := length(l)
		if err != nil || n < 0 {
			return err // *-1: a null
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		for i := range n {
			var first *string
			if i == 0 {
				first = name
			}
			if err := f.value(depth+1, first); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("faultproxy: unknown RESP type %q", t)
	}
}

// length is the count of a "$n" or "*n" line.
func length(l []byte) (int, error) {
	n, err := strconv.Atoi(string(l[1:]))
	if err != nil || n > maxLen {
		return 0, fmt.Errorf("faultproxy: bad length %q", l)
	}
	return n, nil
}
