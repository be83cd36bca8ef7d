package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// policyField is one field of verify.Limits as "otpkit policy" shows it.
// The reasons are short forms of the fields' doc comments in verify.
type policyField struct {
	name   string
	rule   verify.Rule // the rule that refuses by it, if one does
	value  func(l verify.Limits) string
	reason string
}

// policyFields lists every field of verify.Limits, in its order (a test
// holds them to the struct).
var policyFields = []policyField{
	{"CodeLength", "", func(l verify.Limits) string { return count(l.CodeLength, "digits") },
		"NIST SP 800-63B: a one-time code has at least 6 digits (20 bits)."},
	{"CodeTTL", "", func(l verify.Limits) string { return duration(l.CodeTTL) },
		"NIST SP 800-63B: an out-of-band code is valid for 10 minutes or less."},
	{"MaxAttempts", "", func(l verify.Limits) string { return count(l.MaxAttempts, "checks per code") },
		"the 5th wrong code locks it: 5 guesses at 6 digits win with a chance of 5 in a million."},
	{"MaxFailures", verify.RuleFailures, func(l verify.Limits) string { return count(l.MaxFailures, "wrong codes per recipient") },
		"a budget across codes and providers that no new code resets (NIST allows at most 100;\n" +
			"OWASP advises far fewer for short codes); room for two lost codes."},
	{"FailureWindow", verify.RuleFailures, func(l verify.Limits) string { return duration(l.FailureWindow) },
		"the failure budget's window: 10 a day keeps guessing a 6-digit code under 1 in 100,000 a day."},
	{"SendInterval", verify.RuleSendInterval, func(l verify.Limits) string { return duration(l.SendInterval) },
		"off: it is a choice of the user interface; an app with a resend timer sets it to that timer."},
	{"RecipientSends", verify.RuleRecipientSends, func(l verify.Limits) string { return rate(l.RecipientSends) },
		"what Tryvox allows per recipient: plenty for a user, little for a pumping target."},
	{"IPSends", verify.RuleIPSends, func(l verify.Limits) string { return rate(l.IPSends) },
		"OWASP: limit by source as well as by account; room for a few users behind one NAT\n" +
			"(an IPv6 address counts by its /64)."},
	{"PrefixSends", verify.RulePrefixSends, func(l verify.Limits) string { return rate(l.PrefixSends) },
		"SMS pumping walks a range of numbers."},
	{"PrefixDigits", "", func(l verify.Limits) string { return count(l.PrefixDigits, "digits") },
		"a range of about 10,000 numbers in most national plans; the conversion guard's prefixes too."},
	{"Countries", verify.RuleCountry, func(l verify.Limits) string { return list(l.Countries, "all regions") },
		"a library cannot know where an app's users live; list yours, since pumping walks foreign ranges."},
	{"BlockedCountries", verify.RuleCountry, func(l verify.Limits) string { return list(l.BlockedCountries, "none") },
		"for an app that serves the world but not the ranges its fraud comes from."},
	{"NumberTypes", verify.RuleNumberType, func(l verify.Limits) string { return numberTypes(l.NumberTypes) },
		"premium-rate, shared-cost and UAN numbers cost the sender extra, part of it paid to their\n" +
			"owner (toll fraud); a fixed line receives no sms or whatsapp, but takes a call."},
	{"SafeList", "", func(l verify.Limits) string { return list(l.SafeList, "none") },
		"QA phones and app-store reviewers: exempt from the send limits and the number rules, never from\n" +
			"MaxAttempts, CodeTTL or the failure budget."},
	{"Monitor", "", func(l verify.Limits) string {
		if l.Monitor {
			return "on: the number rules and the conversion guard only report"
		}
		return "off: the number rules and the conversion guard refuse"
	}, "turn it on to see whom the rules would stop on live traffic before they do."},
	{"ConversionWindow", verify.RuleConversion, func(l verify.Limits) string { return duration(l.ConversionWindow) },
		"pumping is a burst of thousands of sends an hour; an hour measures ordinary traffic, and a\n" +
			"refusal lifts at most an hour after the attack stops."},
	{"ConversionMinPrefixSends", verify.RuleConversion, func(l verify.Limits) string { return count(l.ConversionMinPrefixSends, "sends") },
		"an attack on a range stops after about 30 sends; 30 ordinary sends converting at 60 %\n" +
			"fall under the floor with a chance of 1 in 700,000."},
	{"ConversionMinCountrySends", verify.RuleConversion, func(l verify.Limits) string { return count(l.ConversionMinCountrySends, "sends") },
		"catches an attack spread thinly over a country's prefixes; 100 ordinary sends at a poor\n" +
			"40 % fall under 20 % with a chance of 1 in 170,000."},
	{"ConversionFloor", verify.RuleConversion, func(l verify.Limits) string {
		return strconv.FormatFloat(l.ConversionFloor, 'g', -1, 64) + " (" + strconv.FormatFloat(l.ConversionFloor*100, 'g', 4, 64) + " % verified)"
	}, "ordinary traffic converts at 60-90 %, pumping at 0: to stay above it an attacker must verify\n" +
		"one code in five, each with a real phone."},
}

func (c *cli) policy(args []string) error {
	fs := c.newFlags("policy", "", `
Print the rules of verify's Guard and Service with the defaults filled in (what
verify.Limits{} means), each with the rule that refuses by it and the reason for
its default. A rule shown as off is off by default; set its field to turn it on.`)
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	g, err := verify.NewGuard(verify.NewMemoryStore())
	if err != nil {
		return err
	}
	l := g.Limits()
	var b strings.Builder
	b.WriteString("verify.Limits with the defaults filled in:\n")
	for _, f := range policyFields {
		head := f.name + ": " + f.value(l)
		if f.rule != "" {
			head += "  [rule " + string(f.rule) + "]"
		}
		fmt.Fprintf(&b, "\n%s\n    %s\n", head, strings.ReplaceAll(f.reason, "\n", "\n    "))
	}
	_, err = fmt.Fprint(c.stdout, b.String())
	return err
}

// count shows n things, or off.
func count(n int, what string) string {
	if n < 0 {
		return "off"
	}
	return strconv.Itoa(n) + " " + what
}

// duration shows d as 10m, 24h or 1h30m, or off.
func duration(d time.Duration) string {
	if d < 0 {
		return "off"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// rate shows r as "5 per 1h", or off.
func rate(r verify.Rate) string {
	if r.Count < 0 || r.Per < 0 {
		return "off"
	}
	return strconv.Itoa(r.Count) + " per " + duration(r.Per)
}

// list shows a list of strings, or none when it is empty.
func list(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}

// numberTypes shows an effective policy: what is refused where.
func numberTypes(p verify.NumberTypePolicy) string {
	names := func(ts []verify.NumberType) string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = t.String()
		}
		return strings.Join(out, ", ")
	}
	parts := []string{"refused on every channel: " + names(p.Refuse)}
	chans := make([]otpkit.Channel, 0, len(p.RefuseOn))
	for ch := range p.RefuseOn {
		chans = append(chans, ch)
	}
	slices.Sort(chans)
	for _, ch := range chans {
		parts = append(parts, "on "+string(ch)+": "+names(p.RefuseOn[ch]))
	}
	return strings.Join(parts, "; ")
}
