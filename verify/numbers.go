package verify

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/otpkit/otpkit"
)

// Number is a phone number read by ParseNumber: canonical, valid in its
// country's numbering plan, and typed by libphonenumber's numbering data.
//
// It prints (with any fmt verb, and through slog) without its digits after
// the country code: a phone number is personal data.
type Number struct {
	// E164 is the canonical form: "+", the country code and the national
	// significant number, nothing else (e.g. +4917012345678). Every spelling
	// of one number gives the same E164.
	E164 string
	// Region is the number's ISO 3166-1 alpha-2 region (e.g. DE), or "001"
	// for a number of a non-geographic country code (+800, +808, +870,
	// +881, +882, +883, +888, +979), libphonenumber's convention.
	Region string
	// CountryCode is the country calling code, e.g. 49.
	CountryCode int
	// Type is what kind of line the number is, as far as its numbering plan
	// tells: ported numbers keep the type of their original range.
	Type NumberType
}

// NumberType is the kind of line a number belongs to, libphonenumber's
// PhoneNumberType. The zero value is TypeUnknown.
type NumberType int

// The number types. A valid number never has TypeUnknown.
const (
	// TypeUnknown: the numbering plan says nothing about the number.
	TypeUnknown NumberType = iota
	// TypeMobile: a mobile number.
	TypeMobile
	// TypeFixedLine: a fixed-line (landline) number; it cannot receive an SMS.
	TypeFixedLine
	// TypeFixedLineOrMobile: a number whose plan does not tell fixed from
	// mobile (the United States, Canada and the rest of +1, among others).
	TypeFixedLineOrMobile
	// TypeTollFree: a number that is free for the caller.
	TypeTollFree
	// TypePremiumRate: a number that costs the caller more, part of it paid
	// to the number's owner: the target of SMS pumping.
	TypePremiumRate
	// TypeSharedCost: a number whose cost the caller and the owner share.
	TypeSharedCost
	// TypeVoIP: a voice-over-IP number.
	TypeVoIP
	// TypePersonal: a personal number that forwards to another line.
	TypePersonal
	// TypePager: a pager number.
	TypePager
	// TypeUAN: a universal access number, a company's one number that routes
	// to its offices; often charged at a special rate.
	TypeUAN
	// TypeVoicemail: a number that reaches a voicemail box directly.
	TypeVoicemail
	numberTypes // how many there are
)

// numberTypeNames are the NumberTypes' names, as String and MarshalText give.
var numberTypeNames = [numberTypes]string{
	TypeUnknown: "unknown", TypeMobile: "mobile", TypeFixedLine: "fixed_line",
	TypeFixedLineOrMobile: "fixed_line_or_mobile", TypeTollFree: "toll_free",
	TypePremiumRate: "premium_rate", TypeSharedCost: "shared_cost", TypeVoIP: "voip",
	TypePersonal: "personal", TypePager: "pager", TypeUAN: "uan", TypeVoicemail: "voicemail",
}

// String returns the type's name in snake case, e.g. "premium_rate".
func (t NumberType) String() string {
	if t.valid() {
		return numberTypeNames[t]
	}
	return "NumberType(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText writes the type's name, so that a configuration file (JSON,
// YAML, TOML) can hold a NumberTypePolicy.
func (t NumberType) MarshalText() ([]byte, error) {
	if !t.valid() {
		return nil, fmt.Errorf("verify: no number type %d", int(t))
	}
	return []byte(numberTypeNames[t]), nil
}

// UnmarshalText reads a type's name as String writes it.
func (t *NumberType) UnmarshalText(b []byte) error {
	for i, name := range numberTypeNames {
		if string(b) == name {
			*t = NumberType(i)
			return nil
		}
	}
	return &otpkit.ValidationError{Field: "NumberType", Reason: "must be one of " + strings.Join(numberTypeNames[:], ", ")}
}

func (t NumberType) valid() bool { return t >= 0 && t < numberTypes }

// fromLib maps libphonenumber's type to ours.
var fromLib = map[phonenumbers.PhoneNumberType]NumberType{
	phonenumbers.FIXED_LINE:           TypeFixedLine,
	phonenumbers.MOBILE:               TypeMobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: TypeFixedLineOrMobile,
	phonenumbers.TOLL_FREE:            TypeTollFree,
	phonenumbers.PREMIUM_RATE:         TypePremiumRate,
	phonenumbers.SHARED_COST:          TypeSharedCost,
	phonenumbers.VOIP:                 TypeVoIP,
	phonenumbers.PERSONAL_NUMBER:      TypePersonal,
	phonenumbers.PAGER:                TypePager,
	phonenumbers.UAN:                  TypeUAN,
	phonenumbers.VOICEMAIL:            TypeVoicemail,
	phonenumbers.UNKNOWN:              TypeUnknown,
}

// maxNumberInput caps what ParseNumber reads: a number with its spaces and
// brackets, even in full-width characters (3 bytes each), fits.
const maxNumberInput = 100

// maxE164Digits is the most digits an E.164 number has, country code
// included.
const maxE164Digits = 15

// nonGeoRegion is libphonenumber's region of non-geographic country codes.
const nonGeoRegion = "001"

// ParseNumber reads a phone number as people write it and returns it in
// canonical form with its region and type. It reads:
//
//   - international forms: "+49 170 1234567", "+49 (0)170 1234567" and
//     "+49 0170 1234567" (a national prefix after the country code is
//     dropped), "0049 170 1234567" (a leading 00 is read as "+" when
//     region is empty or the number is not a national one of region), and
//     the international prefix of region (011 in the US);
//   - national forms, read in region (ISO 3166-1 alpha-2, any case):
//     "0170 1234567" with region "DE";
//   - any of them spaced, dashed, dotted, slashed or bracketed, and in
//     full-width ("＋４９ １７０ …") or Arabic-Indic digits.
//
// Letters (vanity numbers, "tel:" URIs, extensions) and digits of other
// scripts are refused. A number
// that libphonenumber's numbering data does not hold valid (a wrong length,
// an unassigned range, an unknown country code) is refused too. Every
// refusal is a *otpkit.ValidationError that says what is wrong but never
// contains the number.
//
// libphonenumber's data is a snapshot (v1.8.1 of its Go port): a range a
// country opened later is refused until otpkit updates it.
func ParseNumber(s, region string) (Number, error) {
	bad := func(reason string) (Number, error) {
		return Number{}, &otpkit.ValidationError{Field: "number", Reason: reason}
	}
	region = strings.ToUpper(region)
	if region != "" && !phonenumbers.GetSupportedRegions()[region] {
		return Number{}, &otpkit.ValidationError{Field: "region", Reason: "is not a region libphonenumber knows (ISO 3166-1 alpha-2, e.g. DE)"}
	}
	switch {
	case s == "":
		return bad("is empty")
	case len(s) > maxNumberInput:
		return bad("is longer than " + strconv.Itoa(maxNumberInput) + " bytes")
	case !utf8.ValidString(s):
		return bad("is not UTF-8")
	}
	// libphonenumber gets the digits in ASCII, whatever script they came in
	// (it reads some others itself, but not the same ones everywhere).
	var in, digits strings.Builder
	plus := false
	for _, r := range s {
		if d, ok := asciiDigit(r); ok {
			in.WriteByte(d)
			digits.WriteByte(d)
			continue
		}
		switch {
		case unicode.IsDigit(r):
			return bad("has digits of a script other than 0-9, full-width or Arabic-Indic")
		case r == '+' || r == '＋':
			if plus || digits.Len() > 0 {
				return bad("may have one + only, before the digits")
			}
			plus = true
		case !numberPunctuation(r):
			return bad("may hold only digits, one leading +, spaces and - . / ( ) [ ] ~")
		}
		in.WriteRune(r)
	}
	if digits.Len() == 0 {
		return bad("has no digits")
	}
	// "00" is the international prefix of most of the world (ITU-T E.164
	// recommends it): without a region to read a national number in, or
	// when region's reading fails, it stands for "+".
	var intl string
	if d := digits.String(); !plus && strings.HasPrefix(d, "00") {
		intl = "+" + d[2:]
	}
	if region == "" && !plus && intl == "" {
		return bad("is national: give it with + and its country code, or give its region")
	}
	n, err := parseValid(in.String(), region)
	if err != nil && intl != "" {
		if n2, err2 := parseValid(intl, ""); err2 == nil {
			n, err = n2, nil
		}
	}
	if err != nil {
		return bad(err.Error())
	}
	return n, nil
}

// parseValid parses s in region with libphonenumber and returns the Number,
// or an error whose text is a ValidationError reason (never the number).
func parseValid(s, region string) (Number, error) {
	pn, err := phonenumbers.Parse(s, region)
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return Number{}, errors.New("has no country code libphonenumber knows")
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return Number{}, errors.New("is too short to be a phone number")
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return Number{}, errors.New("is too long to be a phone number")
	case err != nil:
		return Number{}, errors.New("is not a phone number")
	case pn.GetExtension() != "":
		return Number{}, errors.New("has an extension; a code cannot go to one")
	}
	if !phonenumbers.IsValidNumber(pn) {
		switch phonenumbers.IsPossibleNumberWithReason(pn) {
		case phonenumbers.INVALID_COUNTRY_CODE:
			return Number{}, errors.New("has no country code libphonenumber knows")
		case phonenumbers.TOO_SHORT:
			return Number{}, errors.New("is too short for its country")
		case phonenumbers.TOO_LONG:
			return Number{}, errors.New("is too long for its country")
		case phonenumbers.INVALID_LENGTH:
			return Number{}, errors.New("has a length its country does not use")
		}
		return Number{}, errors.New("is not a number in its country's numbering plan (no such range)")
	}
	e164 := phonenumbers.Format(pn, phonenumbers.E164)
	if len(e164) > 1+maxE164Digits {
		// libphonenumber allows a few German fixed lines one digit more;
		// a recipient is E.164, as the Guard and the providers want it.
		return Number{}, errors.New("is longer than the 15 digits E.164 allows")
	}
	return Number{
		E164:        e164,
		Region:      phonenumbers.GetRegionCodeForNumber(pn),
		CountryCode: int(pn.GetCountryCode()),
		Type:        fromLib[phonenumbers.GetNumberType(pn)],
	}, nil
}

// asciiDigit returns the ASCII form of a digit in ASCII, in full width
// (what Japanese, Chinese and Korean input methods type) or in Arabic-Indic
// or Eastern Arabic-Indic script.
func asciiDigit(r rune) (byte, bool) {
	for _, zero := range [...]rune{'0', '０', '٠', '۰'} {
		if r >= zero && r <= zero+9 {
			return byte('0' + r - zero), true
		}
	}
	return 0, false
}

// numberPunctuation reports whether r is one of the separators people
// write numbers with: libphonenumber's set (dashes, spaces, dots, slashes,
// brackets, tildes in their ASCII and full-width forms, and the invisible
// ones that copying from a web page brings along), without its "x" for
// extensions.
func numberPunctuation(r rune) bool {
	switch {
	case r >= '\u2010' && r <= '\u2015', r >= '\uFF0D' && r <= '\uFF0F': // dashes; － ． ／
		return true
	}
	return strings.ContainsRune("-\u2212\u30FC \u00A0\u00AD\u200B\u2060\u3000()\uFF08\uFF09\uFF3B\uFF3D.[]/~\u2053\u223C\uFF5E", r)
}

// Format prints n without the digits after its country code, with any
// verb: %v gives {+49… DE 49 mobile}, %+v names the fields.
func (n Number) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), n.view())
}

// LogValue logs n as Format prints it with %+v.
func (n Number) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", n)) }

// numberView is what a Number prints as.
type numberView struct {
	E164        string
	Region      string
	CountryCode int
	Type        NumberType
}

func (n Number) view() numberView {
	v := numberView{Region: n.Region, CountryCode: n.CountryCode, Type: n.Type}
	if n.E164 != "" {
		v.E164 = "+" + strconv.Itoa(n.CountryCode) + "…"
	}
	return v
}
