package verify_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// libTypes is what each of libphonenumber's types is called in verify,
// written out here so that the test does not share verify's own mapping.
var libTypes = map[phonenumbers.PhoneNumberType]verify.NumberType{
	phonenumbers.FIXED_LINE:           verify.TypeFixedLine,
	phonenumbers.MOBILE:               verify.TypeMobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: verify.TypeFixedLineOrMobile,
	phonenumbers.TOLL_FREE:            verify.TypeTollFree,
	phonenumbers.PREMIUM_RATE:         verify.TypePremiumRate,
	phonenumbers.SHARED_COST:          verify.TypeSharedCost,
	phonenumbers.VOIP:                 verify.TypeVoIP,
	phonenumbers.PERSONAL_NUMBER:      verify.TypePersonal,
	phonenumbers.PAGER:                verify.TypePager,
	phonenumbers.UAN:                  verify.TypeUAN,
	phonenumbers.VOICEMAIL:            verify.TypeVoicemail,
}

// example is one of libphonenumber's own example numbers: the number its
// metadata gives as an example of type in region.
type example struct {
	region string // the region whose example it is
	typ    phonenumbers.PhoneNumberType
	pn     *phonenumbers.PhoneNumber
	want   verify.Number
}

// label names an example in failure messages (example numbers are no one's).
func (e example) label() string { return e.region + "/" + libTypes[e.typ].String() + "/" + e.want.E164 }

// examples returns the example number of every type in every region
// libphonenumber knows, with what ParseNumber must make of it. skipped
// counts the examples whose own metadata types them otherwise (an example
// of one type that matches another type's pattern first).
func examples(t *testing.T) (rows []example, skipped int) {
	t.Helper()
	regions := make([]string, 0, 250)
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	for _, region := range regions {
		for typ := range libTypes {
			if typ == phonenumbers.FIXED_LINE_OR_MOBILE {
				continue // no plan has examples of it: the fixed-line one stands in
			}
			pn := phonenumbers.GetExampleNumberForType(region, typ)
			if pn == nil {
				continue
			}
			want, ok := expectFromExample(region, typ, pn)
			if !ok {
				skipped++
				continue
			}
			rows = append(rows, example{region, typ, pn, want})
		}
	}
	slices.SortFunc(rows, func(a, b example) int { return strings.Compare(a.label(), b.label()) })
	return rows, skipped
}

// expectFromExample is what the example of typ in region stands for: its
// E.164 form, its region and typ. Where a plan does not tell fixed lines
// from mobiles (the US), libphonenumber types both examples
// FIXED_LINE_OR_MOBILE; an example that its metadata types as something else
// altogether is not used.
func expectFromExample(region string, typ phonenumbers.PhoneNumberType, pn *phonenumbers.PhoneNumber) (verify.Number, bool) {
	got := phonenumbers.GetNumberType(pn)
	want := libTypes[typ]
	switch {
	case got == typ:
	case got == phonenumbers.FIXED_LINE_OR_MOBILE && (typ == phonenumbers.FIXED_LINE || typ == phonenumbers.MOBILE):
		want = verify.TypeFixedLineOrMobile
	default:
		return verify.Number{}, false
	}
	// A number of a country code that several regions share (+1, +44, +7)
	// belongs to the first region whose plan holds it: a Canadian toll-free
	// example is a US number too.
	numRegion := phonenumbers.GetRegionCodeForNumber(pn)
	if numRegion != region && !phonenumbers.IsValidNumberForRegion(pn, region) {
		return verify.Number{}, false
	}
	return verify.Number{
		E164:        "+" + strconv.Itoa(int(pn.GetCountryCode())) + phonenumbers.GetNationalSignificantNumber(pn),
		Region:      numRegion,
		CountryCode: int(pn.GetCountryCode()),
		Type:        want,
	}, true
}

// spellings are the ways a user might write e, each with the region the app
// reads it in. The national spellings are left out where libphonenumber's
// national format of the example does not read back as the example in
// libphonenumber itself (Argentine mobiles: "09 15-2345-6789" drops the
// area code): garbled says so.
func spellings(e example) (sp [][2]string, garbled bool) {
	intl := phonenumbers.Format(e.pn, phonenumbers.INTERNATIONAL)
	national := phonenumbers.Format(e.pn, phonenumbers.NATIONAL)
	nsn := phonenumbers.GetNationalSignificantNumber(e.pn)
	cc := strconv.Itoa(int(e.pn.GetCountryCode()))
	sp = [][2]string{
		{e.want.E164, ""},                                  // E.164
		{intl, ""},                                         // +49 30 123456
		{strings.ReplaceAll(intl, " ", "-"), ""},           // dashed
		{"00" + cc + " " + nsn, ""},                        // 00 without a region
		{"00 " + cc + " " + nsn, e.region},                 // 00 with one (011 in the US, 0011 in AU)
		{national, e.region},                               // 030 123456, (201) 555-0123
		{strings.ReplaceAll(national, " ", "."), e.region}, // dotted
		{national, strings.ToLower(e.region)},              // region in any case
		{fullWidth("00" + cc + " " + nsn), ""},
		{fullWidth(intl), ""},                               // ＋４９ ３０ …
		{"(+" + cc + ") " + nsn, ""},                        // bracketed country code
		{"+" + cc + " / " + nsn, strings.ToLower(e.region)}, // slashed
	}
	if back, err := phonenumbers.Parse(national, e.region); err != nil || phonenumbers.Format(back, phonenumbers.E164) != e.want.E164 {
		return slices.DeleteFunc(sp, func(s [2]string) bool {
			return strings.Contains(s[0], national) || s[0] == strings.ReplaceAll(national, " ", ".")
		}), true
	}
	return sp, false
}

// fullWidth writes s's digits and plus in their full-width forms.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r - '0' + '０'
		case r == '+':
			return '＋'
		case r == ' ':
			return '\u3000'
		}
		return r
	}, s)
}

// TestParseNumberAgreesWithLibphonenumbersExamples parses every example
// number libphonenumber has, of every type in every region (about 1,300),
// in twelve spellings each, and expects the example's own E.164 form,
// region and type.
func TestParseNumberAgreesWithLibphonenumbersExamples(t *testing.T) {
	rows, skipped := examples(t)
	regions, types := map[string]bool{}, map[verify.NumberType]bool{}
	garbled := 0
	for _, e := range rows {
		regions[e.want.Region] = true
		types[e.want.Type] = true
		sps, g := spellings(e)
		if g {
			garbled++
		}
		for _, sp := range sps {
			got, err := verify.ParseNumber(sp[0], sp[1])
			if assert.NoError(t, err, "%s: %q in %q", e.label(), sp[0], sp[1]) {
				assert.Equal(t, e.want, got, "%s: %q in %q", e.label(), sp[0], sp[1])
			}
		}
	}
	// The table is what the spec asks for and more: at least 40 numbers
	// from 15 regions, every type a valid number can have (TypeUnknown is
	// never one). Almost every example is usable.
	assert.GreaterOrEqual(t, len(rows), 1000)
	assert.GreaterOrEqual(t, len(regions), 200)
	for typ := range libTypes {
		assert.True(t, types[libTypes[typ]], "no example of %s", libTypes[typ])
	}
	t.Logf("%d examples from %d regions, %d national formats left out", len(rows), len(regions), garbled)
	assert.Zero(t, skipped, "examples typed otherwise by their own metadata")
	assert.LessOrEqual(t, garbled, 3, "national formats libphonenumber cannot read back")
}

// TestParseNumberNonGeographic reads the numbers of country codes that
// belong to no region (+800 freephone, +882 networks, +979 premium rate):
// region "001".
func TestParseNumberNonGeographic(t *testing.T) {
	n := 0
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		pn := phonenumbers.GetExampleNumberForNonGeoEntity(cc)
		if pn == nil {
			continue
		}
		n++
		e164 := phonenumbers.Format(pn, phonenumbers.E164)
		for _, s := range []string{e164, phonenumbers.Format(pn, phonenumbers.INTERNATIONAL), "00" + e164[1:]} {
			got, err := verify.ParseNumber(s, "")
			require.NoError(t, err, e164)
			assert.Equal(t, verify.Number{E164: e164, Region: "001", CountryCode: cc, Type: libTypes[phonenumbers.GetNumberType(pn)]}, got)
		}
	}
	assert.GreaterOrEqual(t, n, 5)
	got, err := verify.ParseNumber("+979 1 2345 6789", "")
	require.NoError(t, err)
	assert.Equal(t, verify.TypePremiumRate, got.Type, "the international premium-rate code")
}

// TestParseNumberSpellingsOfOneNumber: every way of writing one German
// mobile number is one recipient.
func TestParseNumberSpellingsOfOneNumber(t *testing.T) {
	want := verify.Number{E164: "+4917012345678", Region: "DE", CountryCode: 49, Type: verify.TypeMobile}
	for _, c := range [][2]string{
		{"+4917012345678", ""}, {"+49 170 12345678", ""}, {"+49 0170 12345678", ""}, {"+49 (0)170 12345678", ""},
		{"+49-170-123-456-78", ""}, {"0049 170 12345678", ""}, {"0049 170 12345678", "DE"}, {"0049 170 12345678", "US"},
		{"011 49 170 12345678", "US"}, {"0170 12345678", "DE"}, {"(0170) 123 456 78", "de"}, {"0170/12345678", "DE"},
		{"＋４９ １７０ １２３４５６７８", ""}, {"０１７０　１２３４５６７８", "DE"}, {"+49\u00a0170\u200b12345678", ""},
		{"+49 ‐ 170 – 12345678", ""}, {"+49 [170] 12345678", ""}, {"  +49 170 12345678  ", "FR"},
		{"+٤٩١٧٠١٢٣٤٥٦٧٨", ""}, {"+۴۹۱۷۰۱۲۳۴۵۶۷۸", ""}, // Arabic-Indic and Eastern Arabic-Indic digits
		{"００４９ １７０ １２３４５６７８", ""}, {"００４９　１７０　１２３４５６７８", "US"}, // 00 in full width
	} {
		got, err := verify.ParseNumber(c[0], c[1])
		if assert.NoError(t, err, "%q in %q", c[0], c[1]) {
			assert.Equal(t, want, got, "%q in %q", c[0], c[1])
		}
	}
}

// TestParseNumberRefuses: what is not a valid number is a
// *otpkit.ValidationError that never contains what was given.
func TestParseNumberRefuses(t *testing.T) {
	for _, c := range []struct{ in, region, field, reason string }{
		{"", "", "number", "is empty"},
		{"0170 12345678", "", "number", "is national"},
		{"+49 170 12345678", "XX", "region", "region"},
		{"+49 170 12345678", "DEU", "region", "region"},
		{"+49 170 12345678 ext. 5", "", "number", "only digits"},
		{"tel:+4917012345678", "", "number", "only digits"},
		{"1-800-FLOWERS", "US", "number", "only digits"},
		{"+49 170 1234567x", "", "number", "only digits"},
		{"49+17012345678", "", "number", "one +"},
		{"++4917012345678", "", "number", "one +"},
		{"+ - ( )", "", "number", "no digits"},
		{"+49" + strings.Repeat(" ", 100) + "1", "", "number", "longer than"},
		{"+49\xff170", "", "number", "UTF-8"},
		{"+49\n17012345678", "", "number", "only digits"},
		{"+𝟒𝟗 𝟏𝟕𝟎 𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖", "", "number", "script"}, // mathematical digits
		{"+४९ १७० १२३४५६७८", "", "number", "script"}, // Devanagari
		{"+999 170 12345678", "", "number", "country code"},
		{"+49 1", "", "number", "too short"},
		{"+49 170 1234567890123", "", "number", "too long"},
		{"+49 201 00000000000", "", "number", "15 digits"}, // valid to libphonenumber, 16 digits
		{"+1 555 0100 000", "", "number", ""},              // 555 is no NANP area code
		{"+1 201 055 0123", "", "number", ""},              // an exchange cannot start with 0
		{"+44 7 1234 5678", "", "number", ""},              // 07 1 is no UK mobile range
		{"0000 00000000", "DE", "number", ""},              // 00 read as +: +0… is nothing
		{"+49 0 0 0 0 0 0 0", "", "number", ""},            // zeros
	} {
		_, err := verify.ParseNumber(c.in, c.region)
		var ve *otpkit.ValidationError
		if !assert.ErrorAs(t, err, &ve, "%q in %q", c.in, c.region) {
			continue
		}
		assert.ErrorIs(t, err, otpkit.ErrInvalidRequest)
		assert.Equal(t, c.field, ve.Field, c.in)
		assert.Contains(t, ve.Reason, c.reason, c.in)
		if digits := phonenumbers.NormalizeDigitsOnly(c.in); len(digits) >= 4 {
			assert.NotContains(t, phonenumbers.NormalizeDigitsOnly(err.Error()), digits[len(digits)-4:], "the error echoes the number")
		}
	}
}

// TestNumberPrintsNoDigits: a Number is personal data; no fmt verb shows
// the digits after its country code.
func TestNumberPrintsNoDigits(t *testing.T) {
	n, err := verify.ParseNumber("+4917012345678", "")
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%T%v"} {
		out := fmt.Sprintf(verb, n)
		assert.NotContains(t, out, "17012345678", verb)
		assert.NotContains(t, out, fmt.Sprintf("%x", "+4917012345678"), verb)
	}
	assert.Equal(t, "{+49… DE 49 mobile}", fmt.Sprint(n))
	assert.Equal(t, "{E164:+49… Region:DE CountryCode:49 Type:mobile}", fmt.Sprintf("%+v", n))
	assert.NotContains(t, n.LogValue().String(), "17012345678")
	assert.Equal(t, "{  0 unknown}", fmt.Sprint(verify.Number{}))
}

func TestNumberTypeNames(t *testing.T) {
	seen := map[string]bool{}
	for typ := verify.TypeUnknown; typ <= verify.TypeVoicemail; typ++ {
		name := typ.String()
		assert.Regexp(t, `^[a-z_]+$`, name)
		assert.False(t, seen[name], "two types called %s", name)
		seen[name] = true
		b, err := typ.MarshalText()
		require.NoError(t, err)
		var back verify.NumberType
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, typ, back)
	}
	assert.Len(t, seen, 12)
	assert.Equal(t, "premium_rate", verify.TypePremiumRate.String())
	assert.Equal(t, "fixed_line_or_mobile", verify.TypeFixedLineOrMobile.String())
	assert.Equal(t, "NumberType(99)", verify.NumberType(99).String())
	_, err := verify.NumberType(-1).MarshalText()
	assert.Error(t, err)
	var nt verify.NumberType
	assert.ErrorIs(t, nt.UnmarshalText([]byte("Mobile")), otpkit.ErrInvalidRequest)
}
