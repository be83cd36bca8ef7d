package otpkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// redactCodes returns a response body fit to keep in an error: in a JSON
// body the value of every object member whose name decodes to "code", in
// any case and however escaped ("Code", "\u0063ode"), is replaced by
// "[REDACTED]", whatever its type. The body is rewritten token by token, so
// member order and every other value are kept; where it stops being JSON
// (a cut or broken body) the rest is dropped, since a code in it could not
// be found. A body that is not JSON at all (an HTML page, a line of text)
// is returned as it is.
func redactCodes(body []byte) []byte {
	start := bytes.TrimLeft(bytes.TrimPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("\ufeff")), " \t\r\n")
	if len(start) == 0 || (start[0] != '{' && start[0] != '[') {
		return body
	}
	r := codeRedactor{dec: json.NewDecoder(bytes.NewReader(start))}
	r.dec.UseNumber()
	r.enc = json.NewEncoder(&r.scratch)
	r.enc.SetEscapeHTML(false)
	return r.run()
}

// codeRedactor is the state of one redactCodes pass.
type codeRedactor struct {
	dec     *json.Decoder
	enc     *json.Encoder // for strings, into scratch
	scratch bytes.Buffer
	out     bytes.Buffer
	stack   []jsonFrame
	redact  bool // the next value is a code's
	skip    int  // > 0: inside a redacted object or array, this deep
}

// jsonFrame is an open object or array.
type jsonFrame struct {
	object  bool
	wantKey bool // in an object: the next string is a member name
	n       int  // members or elements so far
}

func (r *codeRedactor) run() []byte {
	for {
		tok, err := r.dec.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) || len(r.stack) > 0 || r.skip > 0 {
				r.out.WriteString("…") // the rest is not JSON: dropped
			}
			return r.out.Bytes()
		}
		r.token(tok)
	}
}

func (r *codeRedactor) token(tok json.Token) {
	if r.skip > 0 {
		switch tok {
		case json.Delim('{'), json.Delim('['):
			r.skip++
		case json.Delim('}'), json.Delim(']'):
			if r.skip--; r.skip == 0 {
				r.valueDone()
			}
		}
		return
	}
	var top *jsonFrame
	if len(r.stack) > 0 {
		top = &r.stack[len(r.stack)-1]
	}
	if tok == json.Delim('}') || tok == json.Delim(']') {
		r.out.WriteByte(byte(tok.(json.Delim)))
		r.stack = r.stack[:len(r.stack)-1]
		r.valueDone()
		return
	}
	if top != nil && top.object && top.wantKey {
		name, _ := tok.(string)
		if top.n > 0 {
			r.out.WriteByte(',')
		}
		r.writeString(name)
		r.out.WriteByte(':')
		top.wantKey = false
		r.redact = strings.EqualFold(name, "code")
		return
	}
	if top != nil && !top.object && top.n > 0 {
		r.out.WriteByte(',')
	}
	if top == nil && r.out.Len() > 0 {
		r.out.WriteByte('\n') // another top-level value
	}
	if r.redact {
		r.redact = false
		r.writeString(redacted)
		if tok == json.Delim('{') || tok == json.Delim('[') {
			r.skip = 1
		} else {
			r.valueDone()
		}
		return
	}
	switch v := tok.(type) {
	case json.Delim:
		r.out.WriteByte(byte(v))
		r.stack = append(r.stack, jsonFrame{object: v == '{', wantKey: v == '{'})
		return
	case string:
		r.writeString(v)
	case json.Number:
		r.out.WriteString(string(v))
	case bool:
		if v {
			r.out.WriteString("true")
		} else {
			r.out.WriteString("false")
		}
	case nil:
		r.out.WriteString("null")
	}
	r.valueDone()
}

// valueDone counts a finished value in the frame that holds it.
func (r *codeRedactor) valueDone() {
	if len(r.stack) == 0 {
		return
	}
	top := &r.stack[len(r.stack)-1]
	top.n++
	top.wantKey = top.object
}

func (r *codeRedactor) writeString(s string) {
	r.scratch.Reset()
	_ = r.enc.Encode(s)
	r.out.Write(bytes.TrimSuffix(r.scratch.Bytes(), []byte("\n")))
}
