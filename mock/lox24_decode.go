package mock

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/otpkit/otpkit/internal/rules"
)

// lox24Step is a routing step as written by the caller; the read object
// echoes it field for field (absent fields stay absent).
type lox24Step struct {
	Channel    string  `json:"channel"`
	TimeoutSec *int    `json:"timeout_sec,omitempty"`
	SenderID   *string `json:"sender_id,omitempty"`
	Template   *string `json:"template,omitempty"`
}

// lox24CreateBody is a decoded create body.
type lox24CreateBody struct {
	in            rules.LOX24Create
	isCodeDeleted bool
	steps         []lox24Step
	// malformed, when set, is the detail of a 400 without violations: the
	// body is not JSON, or not a JSON object.
	malformed string
	// violations are the type errors and broken constraints, in field
	// order, as Symfony reports them.
	violations []rules.Violation
}

// decodeLOX24Create decodes and validates a create body the way LOX24's
// framework does: each field is type-checked on its own, so a wrong type is
// a violation at its exact propertyPath (routing_strategy[1].timeout_sec)
// rather than a failed decode, and constraints are checked on the rest.
func decodeLOX24Create(body []byte, senderIDs []string) lox24CreateBody {
	var c lox24CreateBody
	if len(body) == 0 || !json.Valid(body) {
		c.malformed = "Syntax error"
		return c
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || top == nil {
		c.malformed = "The input data is misformatted."
		return c
	}
	var d typeChecker
	c.in.Phone = d.str("phone", top["phone"])
	c.in.Code = d.str("code", top["code"])
	c.in.CodeLength = d.int("code_length", top["code_length"])
	c.in.Lang = d.str("lang", top["lang"])
	c.in.Payload = d.str("payload", top["payload"])
	if b := d.bool("is_code_deleted", top["is_code_deleted"]); b != nil {
		c.isCodeDeleted = *b
	}
	if raws, n, ok := d.arrayHead("routing_strategy", top["routing_strategy"], lox24StepsChecked); ok {
		// Only the first steps are looked at: a strategy has at most three
		// valid ones, so a longer one breaks a rule within its first four
		// (a channel twice, or a step without a valid channel), and a
		// hostile one of 100,000 steps costs no more than that.
		c.in.MoreSteps = n > len(raws)
		c.in.RoutingStrategy = make([]rules.LOX24Step, len(raws))
		c.steps = make([]lox24Step, len(raws))
		for i, raw := range raws {
			p := "routing_strategy[" + strconv.Itoa(i) + "]"
			obj, ok := d.object(p, raw)
			if !ok {
				continue
			}
			st := rules.LOX24Step{
				Channel:    d.str(p+".channel", obj["channel"]),
				TimeoutSec: d.int(p+".timeout_sec", obj["timeout_sec"]),
				SenderID:   d.str(p+".sender_id", obj["sender_id"]),
				Template:   d.str(p+".template", obj["template"]),
			}
			c.in.RoutingStrategy[i] = st
			c.steps[i] = lox24Step{TimeoutSec: st.TimeoutSec, SenderID: st.SenderID, Template: st.Template}
			if st.Channel != nil {
				c.steps[i].Channel = *st.Channel
			}
		}
	}
	c.violations = d.vs
	for _, v := range rules.LOX24CreateViolations(c.in, senderIDs) {
		if !d.covers(v.Field) {
			c.violations = append(c.violations, v)
		}
	}
	return c
}

// lox24StepsChecked is how many routing steps the mock decodes and checks:
// one more than a valid strategy can have.
const lox24StepsChecked = 4 // three channels, each at most once

// typeChecker decodes single JSON values and records a Symfony INVALID_TYPE
// violation for each value of the wrong type. JSON null counts as absent.
type typeChecker struct {
	vs  []rules.Violation
	bad []string // the paths with a type violation
}

func (d *typeChecker) fail(path, typ string) {
	d.vs = append(d.vs, rules.Violation{Field: path, Code: rules.SymfonyInvalidType,
		Message: "This value should be of type " + typ + "."})
	d.bad = append(d.bad, path)
}

// covers reports whether a constraint violation at path is a consequence of
// a type violation already reported (the field or something inside it).
func (d *typeChecker) covers(path string) bool {
	for _, b := range d.bad {
		if path == b || strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

func kind(raw json.RawMessage) byte {
	for _, c := range raw {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
}

func (d *typeChecker) str(path string, raw json.RawMessage) *string {
	switch kind(raw) {
	case 0, 'n':
		return nil
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return &s
		}
	}
	d.fail(path, "string")
	return nil
}

func (d *typeChecker) int(path string, raw json.RawMessage) *int {
	switch kind(raw) {
	case 0, 'n':
		return nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if n, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
			return &n
		}
	}
	d.fail(path, "int")
	return nil
}

func (d *typeChecker) bool(path string, raw json.RawMessage) *bool {
	switch kind(raw) {
	case 0, 'n':
		return nil
	case 't', 'f':
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return &b
		}
	}
	d.fail(path, "bool")
	return nil
}

// arrayHead decodes a JSON array of any length: it returns the first max
// elements and how many there are, scanning the rest without decoding it.
// ok is false when the value is absent, null or not an array (the latter
// recorded). raw comes from a decoded document, so it is valid JSON.
func (d *typeChecker) arrayHead(path string, raw json.RawMessage, max int) (head []json.RawMessage, n int, ok bool) {
	switch kind(raw) {
	case 0, 'n':
		return nil, 0, false
	case '[':
		head, n = splitArray(raw, max)
		if head == nil {
			head = []json.RawMessage{}
		}
		return head, n, true
	}
	d.fail(path, "array")
	return nil, 0, false
}

// splitArray returns the first max elements of raw, a valid JSON array, and
// how many elements it has, in one pass that allocates only the head.
func splitArray(raw []byte, max int) (head []json.RawMessage, n int) {
	depth, start := 0, -1
	inString, escaped := false, false
	end := func(i int) {
		if start < 0 {
			return
		}
		if n < max {
			head = append(head, bytes.TrimRight(raw[start:i], " \t\r\n"))
		}
		n++
		start = -1
	}
	for i, c := range raw {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		if depth == 1 && start < 0 && c != ',' && c != ']' {
			start = i
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				end(i)
			}
		case ',':
			if depth == 1 {
				end(i)
			}
		}
	}
	return head, n
}

func (d *typeChecker) object(path string, raw json.RawMessage) (map[string]json.RawMessage, bool) {
	if kind(raw) == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			return m, true
		}
	}
	d.fail(path, "array") // PHP calls a JSON object an array
	return nil, false
}
