package otpkit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactCodes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"id":"d7","code":"482913","n":1}`, `{"id":"d7","code":"[REDACTED]","n":1}`},
		{`{"code":482913}`, `{"code":"[REDACTED]"}`},
		{`{"Code":"482913"}`, `{"Code":"[REDACTED]"}`},
		{`{"CODE":true}`, `{"CODE":"[REDACTED]"}`},
		{`{"\u0063ode":"482913"}`, `{"code":"[REDACTED]"}`},
		{`{"co\u0064e" : ["482913",{"x":"482913"}], "after":null}`, `{"code":"[REDACTED]","after":null}`},
		{`{"code":{"value":"482913","deep":[[1]]},"x":"<&>"}`, `{"code":"[REDACTED]","x":"<&>"}`},
		{`[{"data":{"code":"1"}},{"code":"2","codes":"kept"}]`, `[{"data":{"code":"[REDACTED]"}},{"code":"[REDACTED]","codes":"kept"}]`},
		{` {"code":null} `, `{"code":"[REDACTED]"}`},
		{`{"id":"d7","code":"4829`, `{"id":"d7","code":…`},
		{`{"id":"d7","code":"482913"} {"code":1}`, "{\"id\":\"d7\",\"code\":\"[REDACTED]\"}\n{\"code\":\"[REDACTED]\"}"},
		{`{"id":"d7",,"code":"482913"}`, `{"id":"d7"…`},
		{`Service Unavailable`, `Service Unavailable`},
		{`<html>code 482913</html>`, `<html>code 482913</html>`},
		{``, ``},
	} {
		assert.Equal(t, tc.want, string(redactCodes([]byte(tc.in))), "%s", tc.in)
	}
}

// FuzzRedactCodes: whatever the body, a JSON body keeps no member named
// "code" (in any case) with a value other than the redaction, the rest of a
// valid body decodes to the same value, and what is kept is cut, not made up.
func FuzzRedactCodes(f *testing.F) {
	for _, s := range []string{`{"id":"d7ad7539","code":"58129437","created_at":"x"}`, `{"code" : "1234" , "x":1}`,
		`{"code":"12\"34"}`, `{"code":"12\\"}`, `{"code":null}`, `[{"code":"1"},{"code":"2"}]`, `no json`,
		`{"code":"unterminated`, `{"\u0043ODE":123}`, `{"a":[{"Code":{"b":"1"}}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := redactCodes(body)
		if !json.Valid(body) {
			return
		}
		// Numbers as their text (json.Number), as redactCodes keeps them: a
		// valid number such as 1E700 is no float64.
		in, err := decodeAll(body)
		require.NoError(t, err)
		got, err := decodeAll(out)
		require.NoError(t, err, "%s", out)
		assert.Equal(t, scrub(in), got)
	})
}

// decodeAll decodes one JSON value with its numbers kept as json.Number.
func decodeAll(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// scrub is what redactCodes should make of a decoded value.
func scrub(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.EqualFold(k, "code") {
				v[k] = redacted
			} else {
				v[k] = scrub(x)
			}
		}
	case []any:
		for i := range v {
			v[i] = scrub(v[i])
		}
	}
	return v
}
