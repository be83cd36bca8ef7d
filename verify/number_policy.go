package verify

import (
	"cmp"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/otpkit/otpkit"
)

// NumberTypePolicy says which types of number a send may go to, on every
// channel or on one. It adds to and takes from the defaults, so its zero
// value is the default policy:
//
//   - no channel goes to TypePremiumRate, TypeSharedCost or TypeUAN: the
//     caller pays extra for them and part of it goes to the number's owner,
//     which is what SMS pumping (toll fraud) lives on, and no user signs up
//     with one;
//   - sms and whatsapp do not go to TypeFixedLine: a fixed line receives
//     neither, so such a send costs money and verifies no one. Voice goes
//     to fixed lines, and TypeFixedLineOrMobile (all of +1) goes everywhere.
//
// For example, NumberTypePolicy{Refuse: []NumberType{TypeVoIP}} also
// refuses VoIP numbers, a common signal of throwaway accounts;
// NumberTypePolicy{Allow: []NumberType{TypeFixedLine}} lets sms go to fixed
// lines for a provider that reads them out.
type NumberTypePolicy struct {
	// Refuse lists types no send may go to, on any channel, on top of the
	// defaults.
	Refuse []NumberType
	// RefuseOn lists, per channel (sms, voice, whatsapp, telegram), types a
	// send on that channel may not go to, on top of the defaults.
	RefuseOn map[otpkit.Channel][]NumberType
	// Allow takes types out of the defaults, on every channel. A type in
	// Allow and in Refuse or RefuseOn is an error.
	Allow []NumberType
}

// The default number type policy, see NumberTypePolicy.
var (
	defaultRefusedTypes   = []NumberType{TypePremiumRate, TypeSharedCost, TypeUAN}
	defaultRefusedOnTypes = map[otpkit.Channel][]NumberType{
		otpkit.ChannelSMS:      {TypeFixedLine},
		otpkit.ChannelWhatsApp: {TypeFixedLine},
	}
)

// policyChannels are the channels a policy may name: those a phone number
// is sent a code on.
var policyChannels = []otpkit.Channel{otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp, otpkit.ChannelTelegram}

// withDefaults returns p with the defaults merged in: Refuse and each
// RefuseOn list sorted, without duplicates, without the types of Allow (and
// a RefuseOn list without the types Refuse already has); empty RefuseOn
// lists dropped. It shares no slice or map with p. Merging again changes
// nothing, since Allow stays.
func (p NumberTypePolicy) withDefaults() (NumberTypePolicy, error) {
	bad := func(reason string) (NumberTypePolicy, error) {
		return NumberTypePolicy{}, &otpkit.ValidationError{Field: "Limits.NumberTypes", Reason: reason}
	}
	for _, list := range append([][]NumberType{p.Refuse, p.Allow}, mapValues(p.RefuseOn)...) {
		for _, t := range list {
			if !t.valid() {
				return bad("holds an unknown NumberType")
			}
		}
	}
	allow := sortedSet(p.Allow)
	for _, t := range allow {
		if slices.Contains(p.Refuse, t) {
			return bad("lists " + t.String() + " in Allow and in Refuse")
		}
	}
	for ch, list := range p.RefuseOn {
		if !slices.Contains(policyChannels, ch) {
			return bad("RefuseOn names a channel that is not sms, voice, whatsapp or telegram")
		}
		for _, t := range allow {
			if slices.Contains(list, t) {
				return bad("lists " + t.String() + " in Allow and in RefuseOn[" + string(ch) + "]")
			}
		}
	}
	notAllowed := func(t NumberType) bool { return slices.Contains(allow, t) }
	out := NumberTypePolicy{Allow: allow}
	out.Refuse = slices.DeleteFunc(sortedSet(append(slices.Clone(defaultRefusedTypes), p.Refuse...)), notAllowed)
	for _, ch := range policyChannels {
		list := append(slices.Clone(defaultRefusedOnTypes[ch]), p.RefuseOn[ch]...)
		list = slices.DeleteFunc(sortedSet(list), func(t NumberType) bool {
			return notAllowed(t) || slices.Contains(out.Refuse, t)
		})
		if len(list) > 0 {
			if out.RefuseOn == nil {
				out.RefuseOn = map[otpkit.Channel][]NumberType{}
			}
			out.RefuseOn[ch] = list
		}
	}
	return out, nil
}

// refuses reports whether an effective policy (after withDefaults) refuses
// a send on ch to a number of type t. An empty channel is each provider's
// default, sms.
func (p NumberTypePolicy) refuses(t NumberType, ch otpkit.Channel) bool {
	if ch == "" {
		ch = otpkit.ChannelSMS
	}
	return slices.Contains(p.Refuse, t) || slices.Contains(p.RefuseOn[ch], t)
}

// CheckNumber reports whether l's rules about the number itself (Countries,
// BlockedCountries, NumberTypes, with SafeList exempt) allow a send on ch
// to n: nil, or a *LimitError with RuleCountry or RuleNumberType and
// RetryAfter 0, since waiting changes nothing. An empty ch is judged as
// sms, every provider's default. It ignores Monitor (it says what the rules
// decide) and keeps no state: the send limits and the conversion guard are
// the Guard's. An invalid l is a *otpkit.ValidationError.
func (l Limits) CheckNumber(n Number, ch otpkit.Channel) error {
	eff, err := l.withDefaults()
	if err != nil {
		return err
	}
	if rule, refused := eff.numberRule(n, ch); refused {
		return &LimitError{Rule: rule}
	}
	return nil
}

// numberRule is CheckNumber on Limits that withDefaults made: the rule that
// refuses a send on ch to n, if any. Countries come before types.
func (l Limits) numberRule(n Number, ch otpkit.Channel) (Rule, bool) {
	switch {
	case l.safeListed(n.E164):
		return "", false
	case len(l.Countries) > 0 && !containsSorted(l.Countries, n.Region), containsSorted(l.BlockedCountries, n.Region):
		return RuleCountry, true
	case l.NumberTypes.refuses(n.Type, ch):
		return RuleNumberType, true
	}
	return "", false
}

// safeListed reports whether e164 (canonical) is on l's SafeList (sorted
// by withDefaults). A safe-listed number passes the send limits and the
// rules on numbers, never the attempt limits or the failure budget.
func (l Limits) safeListed(e164 string) bool { return e164 != "" && containsSorted(l.SafeList, e164) }

// regionList checks and normalises a list of regions: upper case, sorted,
// without duplicates, in a new slice.
func regionList(field string, regions []string) ([]string, error) {
	out := make([]string, 0, len(regions))
	for _, r := range regions {
		r = strings.ToUpper(r)
		if r != nonGeoRegion && !phonenumbers.GetSupportedRegions()[r] {
			return nil, &otpkit.ValidationError{Field: "Limits." + field,
				Reason: "holds a region libphonenumber does not know (ISO 3166-1 alpha-2 such as DE, or 001 for +800, +882 and the other non-geographic codes)"}
		}
		out = append(out, r)
	}
	return sortedSet(out), nil
}

// safeList checks and canonicalises the SafeList: each entry must be a
// number ParseNumber reads without a region.
func safeList(numbers []string) ([]string, error) {
	out := make([]string, 0, len(numbers))
	for _, s := range numbers {
		n, err := ParseNumber(s, "")
		if err != nil {
			return nil, &otpkit.ValidationError{Field: "Limits.SafeList",
				Reason: "holds an entry that is not a valid phone number in international form (+ and country code)"}
		}
		out = append(out, n.E164)
	}
	return sortedSet(out), nil
}

// sortedSet returns s sorted without duplicates, in a new slice (nil for an
// empty s).
func sortedSet[T cmp.Ordered](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// containsSorted reports whether sorted s holds v.
func containsSorted[T cmp.Ordered](s []T, v T) bool {
	_, found := slices.BinarySearch(s, v)
	return found
}

// mapValues returns m's values, in no order.
func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
