package verify_test

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// exampleOf returns libphonenumber's example number of typ in the first
// region (in order) that has one, as ParseNumber reads it. A fixed-line
// example of a plan that does not tell fixed lines from mobiles (the US) is
// a fixed line or mobile.
func exampleOf(t *testing.T, typ phonenumbers.PhoneNumberType, regions ...string) verify.Number {
	t.Helper()
	for _, r := range regions {
		if pn := phonenumbers.GetExampleNumberForType(r, typ); pn != nil && (phonenumbers.GetNumberType(pn) == typ || phonenumbers.GetNumberType(pn) == phonenumbers.FIXED_LINE_OR_MOBILE) {
			n, err := verify.ParseNumber(phonenumbers.Format(pn, phonenumbers.E164), "")
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no example of %v in %v", typ, regions)
	return verify.Number{}
}

// numbers of every type the default policy treats apart.
type policyNumbers struct {
	mobile, fixed, fixedOrMobile, premium, sharedCost, uan, tollFree, voip verify.Number
}

func newPolicyNumbers(t *testing.T) policyNumbers {
	eu := []string{"DE", "GB", "FR", "IT", "ES", "NL", "BE", "AT", "CH", "PL", "SE"}
	p := policyNumbers{
		mobile:        exampleOf(t, phonenumbers.MOBILE, "DE"),
		fixed:         exampleOf(t, phonenumbers.FIXED_LINE, "DE"),
		fixedOrMobile: exampleOf(t, phonenumbers.FIXED_LINE, "US"),
		premium:       exampleOf(t, phonenumbers.PREMIUM_RATE, "DE"),
		sharedCost:    exampleOf(t, phonenumbers.SHARED_COST, eu...),
		uan:           exampleOf(t, phonenumbers.UAN, eu...),
		tollFree:      exampleOf(t, phonenumbers.TOLL_FREE, "DE"),
		voip:          exampleOf(t, phonenumbers.VOIP, eu...),
	}
	require.Equal(t, verify.TypeFixedLineOrMobile, p.fixedOrMobile.Type, "a US number tells no fixed line from a mobile")
	return p
}

// allChannels are the channels a phone number gets a code on; "" is each
// provider's default.
var allChannels = []otpkit.Channel{"", otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp, otpkit.ChannelTelegram}

// refusedBy is the Rule l.CheckNumber refuses with, "" when it allows; it
// fails the test on anything but a permanent *LimitError.
func refusedBy(t *testing.T, l verify.Limits, n verify.Number, ch otpkit.Channel) verify.Rule {
	t.Helper()
	err := l.CheckNumber(n, ch)
	if err == nil {
		return ""
	}
	var le *verify.LimitError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, otpkit.ErrRateLimited)
	assert.Zero(t, le.RetryAfter, "waiting will not help")
	assert.Contains(t, err.Error(), "not allowed")
	assert.NotContains(t, err.Error(), n.E164[3:])
	return le.Rule
}

func TestDefaultNumberTypePolicy(t *testing.T) {
	p := newPolicyNumbers(t)
	var l verify.Limits
	for _, ch := range allChannels {
		for _, n := range []verify.Number{p.premium, p.sharedCost, p.uan} {
			assert.Equal(t, verify.RuleNumberType, refusedBy(t, l, n, ch), "%v on %q", n.Type, ch)
		}
		for _, n := range []verify.Number{p.mobile, p.fixedOrMobile, p.tollFree, p.voip} {
			assert.Empty(t, refusedBy(t, l, n, ch), "%v on %q", n.Type, ch)
		}
	}
	// A fixed line takes a call, not a text.
	for ch, want := range map[otpkit.Channel]verify.Rule{
		"": verify.RuleNumberType, otpkit.ChannelSMS: verify.RuleNumberType, otpkit.ChannelWhatsApp: verify.RuleNumberType,
		otpkit.ChannelVoice: "", otpkit.ChannelTelegram: "",
	} {
		assert.Equal(t, want, refusedBy(t, l, p.fixed, ch), "fixed line on %q", ch)
	}
	// Monitor is the caller's: CheckNumber says what the rules decide.
	l.Monitor = true
	assert.Equal(t, verify.RuleNumberType, refusedBy(t, l, p.premium, otpkit.ChannelVoice))
}

func TestNumberTypePolicyAddsAndTakesAway(t *testing.T) {
	p := newPolicyNumbers(t)
	l := verify.Limits{NumberTypes: verify.NumberTypePolicy{
		Refuse:   []verify.NumberType{verify.TypeVoIP},
		RefuseOn: map[otpkit.Channel][]verify.NumberType{otpkit.ChannelVoice: {verify.TypeMobile}},
		Allow:    []verify.NumberType{verify.TypeFixedLine, verify.TypeSharedCost},
	}}
	for _, ch := range allChannels {
		assert.Equal(t, verify.RuleNumberType, refusedBy(t, l, p.voip, ch), "VoIP refused on %q", ch)
		assert.Equal(t, verify.RuleNumberType, refusedBy(t, l, p.premium, ch), "the other defaults stay")
		assert.Equal(t, verify.RuleNumberType, refusedBy(t, l, p.uan, ch))
		assert.Empty(t, refusedBy(t, l, p.fixed, ch), "fixed lines allowed on %q", ch)
		assert.Empty(t, refusedBy(t, l, p.sharedCost, ch), "shared cost allowed on %q", ch)
	}
	assert.Equal(t, verify.RuleNumberType, refusedBy(t, l, p.mobile, otpkit.ChannelVoice))
	assert.Empty(t, refusedBy(t, l, p.mobile, otpkit.ChannelSMS))

	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(l))
	require.NoError(t, err)
	assert.Equal(t, verify.NumberTypePolicy{
		Refuse:   []verify.NumberType{verify.TypePremiumRate, verify.TypeVoIP, verify.TypeUAN},
		RefuseOn: map[otpkit.Channel][]verify.NumberType{otpkit.ChannelVoice: {verify.TypeMobile}},
		Allow:    []verify.NumberType{verify.TypeFixedLine, verify.TypeSharedCost},
	}, g.Limits().NumberTypes, "the effective policy, defaults merged in")

	g, err = verify.NewGuard(verify.NewMemoryStore())
	require.NoError(t, err)
	assert.Equal(t, verify.NumberTypePolicy{
		Refuse: []verify.NumberType{verify.TypePremiumRate, verify.TypeSharedCost, verify.TypeUAN},
		RefuseOn: map[otpkit.Channel][]verify.NumberType{
			otpkit.ChannelSMS: {verify.TypeFixedLine}, otpkit.ChannelWhatsApp: {verify.TypeFixedLine}},
	}, g.Limits().NumberTypes, "the default policy")
}

func TestCountryRules(t *testing.T) {
	de, err := verify.ParseNumber("+4917012345678", "")
	require.NoError(t, err)
	fr, err := verify.ParseNumber("+33 6 12 34 56 78", "")
	require.NoError(t, err)
	us, err := verify.ParseNumber("+1 201 555 0123", "")
	require.NoError(t, err)
	satellite, err := verify.ParseNumber("+882 1 300 0000", "") // +882: international networks
	require.NoError(t, err, "a non-geographic number")
	require.Equal(t, "001", satellite.Region)

	allow := verify.Limits{Countries: []string{"de", "FR"}}
	assert.Empty(t, refusedBy(t, allow, de, otpkit.ChannelSMS))
	assert.Empty(t, refusedBy(t, allow, fr, otpkit.ChannelSMS))
	assert.Equal(t, verify.RuleCountry, refusedBy(t, allow, us, otpkit.ChannelSMS))
	assert.Equal(t, verify.RuleCountry, refusedBy(t, allow, satellite, otpkit.ChannelSMS))

	block := verify.Limits{BlockedCountries: []string{"us", "001"}}
	assert.Empty(t, refusedBy(t, block, de, otpkit.ChannelVoice))
	assert.Equal(t, verify.RuleCountry, refusedBy(t, block, us, otpkit.ChannelVoice))
	assert.Equal(t, verify.RuleCountry, refusedBy(t, block, satellite, otpkit.ChannelVoice))

	// The country comes first: a premium number abroad is refused for its country.
	p := newPolicyNumbers(t)
	assert.Equal(t, verify.RuleCountry, refusedBy(t, verify.Limits{Countries: []string{"FR"}}, p.premium, otpkit.ChannelSMS))
	assert.Equal(t, verify.RuleNumberType, refusedBy(t, verify.Limits{Countries: []string{"DE"}}, p.premium, otpkit.ChannelSMS))
}

func TestSafeListPassesTheNumberRules(t *testing.T) {
	p := newPolicyNumbers(t)
	// Listed in other spellings: the list is kept canonical.
	spelled := "00" + strings.TrimPrefix(p.premium.E164, "+")
	l := verify.Limits{SafeList: []string{spelled, p.fixed.E164}, BlockedCountries: []string{"DE"}}
	for _, ch := range allChannels {
		assert.Empty(t, refusedBy(t, l, p.premium, ch), "a safe-listed premium number in a blocked country on %q", ch)
		assert.Empty(t, refusedBy(t, l, p.fixed, ch))
		assert.Equal(t, verify.RuleCountry, refusedBy(t, l, p.mobile, ch), "the rest of DE stays blocked")
	}
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(l))
	require.NoError(t, err)
	want := []string{p.premium.E164, p.fixed.E164}
	slices.Sort(want)
	assert.Equal(t, want, g.Limits().SafeList)
}

// TestLimitsPrintNoSafeListNumber: the safe list holds people's numbers;
// neither fmt nor slog nor the Guard's String shows them.
func TestLimitsPrintNoSafeListNumber(t *testing.T) {
	const qa = "+4917012345678"
	l := verify.Limits{SafeList: []string{qa}}
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(l))
	require.NoError(t, err)
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("limits", "limits", g.Limits())
	for _, out := range []string{
		fmt.Sprint(l), fmt.Sprintf("%+v", l), fmt.Sprintf("%#v", l), fmt.Sprintf("%s", l), fmt.Sprintf("%x", l),
		fmt.Sprint(g), fmt.Sprintf("%#v", g), logged.String(),
	} {
		assert.NotContains(t, out, "17012345678")
		assert.NotContains(t, out, fmt.Sprintf("%x", qa[3:]))
	}
	assert.Contains(t, fmt.Sprintf("%+v", l), "SafeList:[[redacted]]")
	assert.Contains(t, fmt.Sprintf("%+v", l), "CodeLength:0", "the rest prints as it is")
}

func TestLimitsRefuseBadNumberRules(t *testing.T) {
	for name, c := range map[string]struct {
		l     verify.Limits
		field string
	}{
		"unknown region":              {verify.Limits{Countries: []string{"DE", "XX"}}, "Limits.Countries"},
		"alpha-3 region":              {verify.Limits{Countries: []string{"DEU"}}, "Limits.Countries"},
		"empty region":                {verify.Limits{BlockedCountries: []string{""}}, "Limits.BlockedCountries"},
		"allowed and blocked":         {verify.Limits{Countries: []string{"DE"}, BlockedCountries: []string{"de"}}, "Limits.BlockedCountries"},
		"national safe-list entry":    {verify.Limits{SafeList: []string{"0170 12345678"}}, "Limits.SafeList"},
		"invalid safe-list entry":     {verify.Limits{SafeList: []string{"+1 555 555 5555"}}, "Limits.SafeList"},
		"unknown type":                {verify.Limits{NumberTypes: verify.NumberTypePolicy{Refuse: []verify.NumberType{42}}}, "Limits.NumberTypes"},
		"unknown type on a channel":   {verify.Limits{NumberTypes: verify.NumberTypePolicy{RefuseOn: map[otpkit.Channel][]verify.NumberType{"sms": {-1}}}}, "Limits.NumberTypes"},
		"email channel":               {verify.Limits{NumberTypes: verify.NumberTypePolicy{RefuseOn: map[otpkit.Channel][]verify.NumberType{"email": {verify.TypeVoIP}}}}, "Limits.NumberTypes"},
		"empty channel":               {verify.Limits{NumberTypes: verify.NumberTypePolicy{RefuseOn: map[otpkit.Channel][]verify.NumberType{"": {verify.TypeVoIP}}}}, "Limits.NumberTypes"},
		"allowed and refused":         {verify.Limits{NumberTypes: verify.NumberTypePolicy{Refuse: []verify.NumberType{verify.TypeVoIP}, Allow: []verify.NumberType{verify.TypeVoIP}}}, "Limits.NumberTypes"},
		"allowed and refused on sms":  {verify.Limits{NumberTypes: verify.NumberTypePolicy{RefuseOn: map[otpkit.Channel][]verify.NumberType{"sms": {verify.TypePager}}, Allow: []verify.NumberType{verify.TypePager}}}, "Limits.NumberTypes"},
		"floor above 1":               {verify.Limits{ConversionFloor: 1.5}, "Limits.ConversionFloor"},
		"negative floor":              {verify.Limits{ConversionFloor: -0.1}, "Limits.ConversionFloor"},
		"NaN floor":                   {verify.Limits{ConversionFloor: math.NaN()}, "Limits.ConversionFloor"},
		"infinite floor":              {verify.Limits{ConversionFloor: math.Inf(1)}, "Limits.ConversionFloor"},
		"bad floor, guard turned off": {verify.Limits{ConversionFloor: 2, ConversionWindow: -1}, "Limits.ConversionFloor"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(c.l))
			var ve *otpkit.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, c.field, ve.Field)
			assert.NotContains(t, err.Error(), "555", "a safe-list entry is not echoed")

			n, perr := verify.ParseNumber("+4917012345678", "")
			require.NoError(t, perr)
			err = c.l.CheckNumber(n, otpkit.ChannelSMS)
			assert.ErrorAs(t, err, &ve, "CheckNumber refuses bad Limits too")
			assert.False(t, errors.Is(err, otpkit.ErrRateLimited))
		})
	}
}

func TestConversionDefaults(t *testing.T) {
	limitsOf := func(l verify.Limits) verify.Limits {
		t.Helper()
		g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(l))
		require.NoError(t, err)
		return g.Limits()
	}
	l := limitsOf(verify.Limits{})
	assert.Equal(t, time.Hour, l.ConversionWindow)
	assert.Equal(t, 30, l.ConversionMinPrefixSends)
	assert.Equal(t, 100, l.ConversionMinCountrySends)
	assert.Equal(t, 0.2, l.ConversionFloor)
	assert.False(t, l.Monitor)
	assert.Empty(t, l.Countries)
	assert.Empty(t, l.BlockedCountries)
	assert.Empty(t, l.SafeList)

	l = limitsOf(verify.Limits{ConversionWindow: 90*time.Second + time.Microsecond, ConversionMinPrefixSends: -5, ConversionFloor: 1})
	assert.Equal(t, 90*time.Second+time.Millisecond, l.ConversionWindow, "rounded up to whole milliseconds")
	assert.Equal(t, -1, l.ConversionMinPrefixSends, "the prefix level off")
	assert.Equal(t, 100, l.ConversionMinCountrySends, "the country level on")
	assert.Equal(t, 1.0, l.ConversionFloor)

	l = limitsOf(verify.Limits{ConversionWindow: -time.Second, ConversionMinCountrySends: 7})
	assert.Equal(t, time.Duration(-1), l.ConversionWindow)
	assert.Equal(t, -1, l.ConversionMinPrefixSends, "the guard off altogether")
	assert.Equal(t, -1, l.ConversionMinCountrySends)
}

// TestLimitsDefaultsAreStable: the Limits a Guard reports give the same
// Guard again (an Allow must not let the defaults back in), and changing
// the slices and map given to NewGuard afterwards changes no rule.
func TestLimitsDefaultsAreStable(t *testing.T) {
	countries := []string{"de", "FR", "DE"}
	safe := []string{"+4917012345678"}
	refuseOn := map[otpkit.Channel][]verify.NumberType{otpkit.ChannelTelegram: {verify.TypePager, verify.TypePager}}
	allow := []verify.NumberType{verify.TypeFixedLine}
	in := verify.Limits{Countries: countries, SafeList: safe, Monitor: true, ConversionFloor: 0.5,
		NumberTypes: verify.NumberTypePolicy{RefuseOn: refuseOn, Allow: allow}}
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(in))
	require.NoError(t, err)
	first := g.Limits()
	assert.Equal(t, []string{"DE", "FR"}, first.Countries)
	assert.Equal(t, map[otpkit.Channel][]verify.NumberType{otpkit.ChannelTelegram: {verify.TypePager}}, first.NumberTypes.RefuseOn,
		"sms and whatsapp no longer refuse fixed lines")

	g2, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(first))
	require.NoError(t, err)
	assert.Equal(t, first, g2.Limits())

	countries[0], safe[0], allow[0] = "US", "+33612345678", verify.TypeMobile
	refuseOn[otpkit.ChannelTelegram][0] = verify.TypeMobile
	refuseOn[otpkit.ChannelSMS] = []verify.NumberType{verify.TypeMobile}
	assert.Equal(t, first, g.Limits())
}

func TestLimitErrorText(t *testing.T) {
	assert.Equal(t, "verify: refused by rule country; the number is not allowed", (&verify.LimitError{Rule: verify.RuleCountry}).Error())
	assert.Equal(t, "verify: refused by rule number_type; the number is not allowed", (&verify.LimitError{Rule: verify.RuleNumberType}).Error())
	assert.Equal(t, "verify: refused by rule conversion; retry after 20m0s",
		(&verify.LimitError{Rule: verify.RuleConversion, RetryAfter: 20 * time.Minute}).Error())
}
