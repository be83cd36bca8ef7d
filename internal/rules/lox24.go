package rules

import (
	"fmt"
	"regexp"
	"strings"
)

// Symfony validator codes and messages, as LOX24's API framework sends them.
const (
	SymfonyNotBlank     = "c1051bb4-d103-4f74-8988-acbcafc7fdc3"
	SymfonyNotNull      = "ad32d13f-c3d4-423b-909a-857b961eb720"
	SymfonyTooShort     = "9ff3fdc4-b214-49db-8718-39c315e33d45"
	SymfonyTooLong      = "d94b19cc-114f-4f44-9cc4-4138e80a87b9"
	SymfonyNotInRange   = "04b91c99-a946-4221-afc5-e65ebac401eb"
	SymfonyNoSuchChoice = "8e179f1b-97aa-4560-a02f-2a8b42e49df7"
	SymfonyRegexFailed  = "de1e3db3-5ed4-4941-aae4-59f3667cc3a3"
	SymfonyTooFew       = "bef8e338-6ae5-4caf-b8e2-50e7b0579e69"
	SymfonyDuplicate    = "7911c98d-b845-4da0-94b7-a8dac36bc55a"
	SymfonyInvalidType  = "ba785a8c-82cb-4283-967c-3cf342181b40"
	SymfonyExpression   = "6b3befbc-2f01-4ddf-be21-b57898905284"
)

// LOX24Langs are the languages LOX24 accepts for lang.
var LOX24Langs = []string{"EN", "DE", "FR", "IT", "ES", "PL", "NL", "RO", "PT", "CS", "HU", "SV", "DA", "FI", "SK", "HR", "TR", "RU", "BG", "UK"}

// LOX24Channels are the channels of a LOX24 routing strategy.
var LOX24Channels = []string{"telegram", "voice", "sms"}

var lox24SenderRE = regexp.MustCompile(`^(\+?[1-9]\d{0,14}|[a-zA-Z0-9 ]{1,11})$`)

// LOX24Step is one routing step as decoded; nil pointers are absent or null.
type LOX24Step struct {
	Channel    *string
	TimeoutSec *int
	SenderID   *string
	Template   *string
}

// LOX24Create is a create body as decoded; nil pointers are absent or null.
// RoutingStrategy is nil when absent; MoreSteps says that it holds only
// the first steps of a longer strategy.
type LOX24Create struct {
	Phone           *string
	Code            *string
	CodeLength      *int
	Lang            *string
	Payload         *string
	RoutingStrategy []LOX24Step
	MoreSteps       bool
}

// LOX24CreateViolations checks a create body against every documented
// constraint and returns the violations in field order (empty when valid).
// allowedSenders, when non-empty, limits sender_id to its entries.
func LOX24CreateViolations(c LOX24Create, allowedSenders []string) []Violation {
	var vs []Violation
	add := func(field, code, msg string) { vs = append(vs, Violation{field, code, msg}) }
	length := func(field string, s string, min, max int) {
		n := runes(s)
		if n < min {
			add(field, SymfonyTooShort, fmt.Sprintf("This value is too short. It should have %d characters or more.", min))
		} else if n > max {
			add(field, SymfonyTooLong, fmt.Sprintf("This value is too long. It should have %d characters or less.", max))
		}
	}
	inRange := func(field string, n, min, max int) {
		if n < min || n > max {
			add(field, SymfonyNotInRange, fmt.Sprintf("This value should be between %d and %d.", min, max))
		}
	}

	if c.Phone == nil || strings.TrimSpace(*c.Phone) == "" {
		add("phone", SymfonyNotBlank, "This value should not be blank.")
	} else {
		length("phone", *c.Phone, 5, 30)
	}
	if c.Code != nil {
		if n := runes(*c.Code); n < 4 || n > 8 {
			length("code", *c.Code, 4, 8)
		} else if !Digits(*c.Code) {
			add("code", SymfonyRegexFailed, "This value is not valid.")
		}
	}
	if c.CodeLength != nil {
		inRange("code_length", *c.CodeLength, 4, 8)
	}
	if c.Lang != nil && !contains(LOX24Langs, *c.Lang) {
		add("lang", SymfonyNoSuchChoice, "The value you selected is not a valid choice.")
	}
	if c.Payload != nil && runes(*c.Payload) > 128 {
		length("payload", *c.Payload, 0, 128)
	}
	if len(c.RoutingStrategy) == 0 {
		if c.RoutingStrategy == nil {
			add("routing_strategy", SymfonyNotBlank, "This value should not be blank.")
		} else {
			add("routing_strategy", SymfonyTooFew, "This collection should contain 1 element or more.")
		}
		return vs
	}
	var seen [3]bool // by index in LOX24Channels
	duplicate := false
	for i, st := range c.RoutingStrategy {
		p := stepPath(i)
		if st.Channel == nil || *st.Channel == "" {
			add(p+".channel", SymfonyNotBlank, "This value should not be blank.")
			continue
		}
		ch := *st.Channel
		idx := index(LOX24Channels, ch)
		if idx < 0 {
			add(p+".channel", SymfonyNoSuchChoice, "The value you selected is not a valid choice.")
			continue
		}
		duplicate = duplicate || seen[idx]
		seen[idx] = true
		if ch == "sms" && (i != len(c.RoutingStrategy)-1 || c.MoreSteps) {
			add(p+".channel", SymfonyExpression, "The sms channel can only be the last step of the routing strategy.")
		}
		if st.TimeoutSec != nil {
			if ch != "telegram" {
				add(p+".timeout_sec", SymfonyExpression, "The timeout is only applicable for the telegram channel.")
			} else {
				inRange(p+".timeout_sec", *st.TimeoutSec, 30, 3600)
			}
		}
		if ch == "telegram" {
			continue // sender_id and template are ignored for telegram
		}
		if st.SenderID != nil {
			if !lox24SenderRE.MatchString(*st.SenderID) {
				add(p+".sender_id", SymfonyRegexFailed, "This value is not valid.")
			} else if len(allowedSenders) > 0 && !contains(allowedSenders, *st.SenderID) {
				add(p+".sender_id", SymfonyNoSuchChoice, "This sender ID is not allowed for your account.")
			}
		}
		if st.Template != nil {
			if runes(*st.Template) > 70 {
				length(p+".template", *st.Template, 0, 70)
			} else if !strings.Contains(*st.Template, "{{code}}") {
				add(p+".template", SymfonyExpression, "The template must contain the {{code}} placeholder.")
			}
		}
	}
	if duplicate {
		add("routing_strategy", SymfonyDuplicate, "This collection should contain only unique elements.")
	}
	return vs
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// stepPaths are the property paths of the first steps, built once: a valid
// request (the common case) then costs no formatting.
var stepPaths = [...]string{"routing_strategy[0]", "routing_strategy[1]", "routing_strategy[2]", "routing_strategy[3]"}

func stepPath(i int) string {
	if i < len(stepPaths) {
		return stepPaths[i]
	}
	return fmt.Sprintf("routing_strategy[%d]", i)
}
