package mock

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// fieldTypeError is a body field whose JSON value does not fit its type.
type fieldTypeError struct {
	field, reason string
}

// fieldTypeErrors lists every field of the JSON object body whose value does
// not fit the matching field of v, a pointer to a struct of *string and
// *int fields with json tags, in the struct's field order.
//
// encoding/json reports only the first type error and leaves later
// mistyped pointer fields set to zero values, which would then read as
// range violations; so when a decode fails on a type, this (slower) pass
// names them all. Keys match case-insensitively, as encoding/json does.
func fieldTypeErrors(body []byte, v any) []fieldTypeError {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return nil
	}
	var out []fieldTypeError
	t := reflect.TypeOf(v).Elem()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		val, ok := raw[name]
		if !ok {
			for k, rv := range raw {
				if strings.EqualFold(k, name) {
					val, ok = rv, true
					break
				}
			}
		}
		if !ok || kind(val) == 'n' {
			continue
		}
		switch f.Type {
		case reflect.TypeOf((*string)(nil)):
			if kind(val) != '"' {
				out = append(out, fieldTypeError{name, "must be a string"})
			}
		case reflect.TypeOf((*int)(nil)):
			if _, err := strconv.Atoi(strings.TrimSpace(string(val))); err != nil {
				out = append(out, fieldTypeError{name, "must be an integer"})
			}
		}
	}
	return out
}
