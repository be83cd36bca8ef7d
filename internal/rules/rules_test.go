package rules

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func ptr[T any](v T) *T { return &v }

func fields(vs []Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Field
	}
	return out
}

func validLOX24() LOX24Create {
	return LOX24Create{
		Phone: ptr("+491701234567"),
		RoutingStrategy: []LOX24Step{
			{Channel: ptr("telegram"), TimeoutSec: ptr(30)},
			{Channel: ptr("voice"), SenderID: ptr("LOX24"), Template: ptr("Your code is {{code}}")},
			{Channel: ptr("sms"), SenderID: ptr("+491701234567")},
		},
	}
}

func TestLOX24ValidRequestHasNoViolations(t *testing.T) {
	assert.Empty(t, LOX24CreateViolations(validLOX24(), nil))
	c := validLOX24()
	c.Code, c.Lang, c.Payload = ptr("12345678"), ptr("UK"), ptr(strings.Repeat("ü", 128))
	assert.Empty(t, LOX24CreateViolations(c, nil), "lengths count characters, not bytes")
}

func TestLOX24ViolationsCarrySymfonyCodesAndMessages(t *testing.T) {
	c := validLOX24()
	c.Phone = ptr("+491")
	c.CodeLength = ptr(9)
	vs := LOX24CreateViolations(c, nil)
	assert.Equal(t, []Violation{
		{"phone", SymfonyTooShort, "This value is too short. It should have 5 characters or more."},
		{"code_length", SymfonyNotInRange, "This value should be between 4 and 8."},
	}, vs)
}

func TestLOX24RoutingRules(t *testing.T) {
	c := validLOX24()
	c.RoutingStrategy = []LOX24Step{{Channel: ptr("sms")}, {Channel: ptr("sms"), TimeoutSec: ptr(30)}}
	assert.Equal(t, []string{"routing_strategy[0].channel", "routing_strategy[1].timeout_sec", "routing_strategy"},
		fields(LOX24CreateViolations(c, nil)))

	c = validLOX24()
	c.RoutingStrategy[0].SenderID = ptr("not checked on telegram!")
	c.RoutingStrategy[0].Template = ptr("ignored on telegram")
	assert.Empty(t, LOX24CreateViolations(c, nil))

	assert.Equal(t, []string{"routing_strategy[1].sender_id"}, fields(LOX24CreateViolations(validLOX24(), []string{"+491701234567"})))
	assert.Empty(t, LOX24CreateViolations(validLOX24(), []string{"LOX24", "+491701234567"}))

	many := validLOX24()
	for i := 0; i < 6; i++ {
		many.RoutingStrategy = append(many.RoutingStrategy, LOX24Step{Channel: ptr("fax")})
	}
	vs := LOX24CreateViolations(many, nil)
	assert.Contains(t, fields(vs), "routing_strategy[8].channel")
}

func TestTryvoxRules(t *testing.T) {
	assert.Empty(t, TryvoxStartViolations(TryvoxStart{To: ptr("+4917012345678"), Channel: ptr("sms")}))
	assert.Empty(t, TryvoxStartViolations(TryvoxStart{To: ptr("a@b.io"), Channel: ptr("email"), CodeLength: ptr(8), CustomMessage: ptr("{{code}}")}))
	assert.Equal(t, []string{"channel", "to"}, fields(TryvoxStartViolations(TryvoxStart{})))
	assert.Equal(t, []string{"to"}, fields(TryvoxStartViolations(TryvoxStart{To: ptr("+491234"), Channel: ptr("voice")})), "6 digits is too few")
	assert.Empty(t, TryvoxCheckViolations("ver_1", "1234"))
	assert.Equal(t, []Violation{{Field: "code", Message: "Code must be 4-8 digits"}}, TryvoxCheckViolations("ver_1", "１２３４"))
}

func TestDotdigitalRules(t *testing.T) {
	now := time.Now()
	ok := []DotdigitalSend{{To: "447123123456"}, {To: "+447123123456"}, {To: "07123123456", CountryIsoCode: "GBR"},
		{To: "447123123456", From: "My Shop_1.", Body: "{{code}} in {{validMinutes}}", ValidUntil: ptr(now.Add(24 * time.Hour))}}
	for _, s := range ok {
		assert.Empty(t, DotdigitalSendViolations(s, now), "%+v", s)
	}
	vs := DotdigitalSendViolations(DotdigitalSend{To: "x", From: "!", CountryIsoCode: "gbr", Body: "b", ValidUntil: ptr(now)}, now)
	codes := make([]string, len(vs))
	for i, v := range vs {
		codes[i] = v.Code
	}
	assert.Equal(t, []string{DotdigitalToInvalid, DotdigitalFromInvalid, DotdigitalCountryIsoCodeInvalid, DotdigitalBodyMissingCodePlaceholder, DotdigitalValidUntilInvalid}, codes)
}

func TestCodesEqual(t *testing.T) {
	assert.True(t, CodesEqual("123456", "123456"))
	assert.False(t, CodesEqual("123456", "123457"))
	assert.False(t, CodesEqual("123456", "12345"))
	assert.False(t, CodesEqual("", "0"))
}

func TestCredentialShapes(t *testing.T) {
	id, ok := LOX24Token("1234567:e3f3a759b6677959b6ebfcxxxxxxxxxx")
	assert.True(t, ok)
	assert.Equal(t, "1234567", id)
	for _, bad := range []string{"", ":", "1234567:", ":key", "abc:key", "123:k y", "123"} {
		_, ok := LOX24Token(bad)
		assert.False(t, ok, "%q", bad)
	}
	assert.True(t, HeaderSafe("tvx_sk_test_1"))
	assert.False(t, HeaderSafe(""))
	assert.False(t, HeaderSafe("a\r\nb"))
	assert.True(t, BasicUser("user-1"))
	assert.False(t, BasicUser("a:b"))
	assert.False(t, BasicUser(""))
}

// e164Pattern is the rule E164 implements by hand.
var e164Pattern = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)

func FuzzE164MatchesItsPattern(f *testing.F) {
	for _, s := range []string{"+4917012345678", "+1234567", "+123456", "+0123456789", "+1234567890123456",
		"+123456789012345", "4917012345678", "+49 170", "+４９１７０１２３４５６７", "", "+", "++1234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := E164(s), e164Pattern.MatchString(s); got != want {
			t.Fatalf("E164(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
