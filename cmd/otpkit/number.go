package main

import (
	"errors"
	"fmt"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// numberChannels are the sends "otpkit number" judges.
var numberChannels = []otpkit.Channel{otpkit.ChannelSMS, otpkit.ChannelVoice}

// numberReport is what "otpkit number --json" prints.
type numberReport struct {
	E164        string                 `json:"e164"`
	Region      string                 `json:"region"`
	CountryCode int                    `json:"country_code"`
	Type        verify.NumberType      `json:"type"`
	Sends       map[string]sendVerdict `json:"sends"` // by channel
}

// sendVerdict is what the default policy does with one send.
type sendVerdict struct {
	Allowed bool        `json:"allowed"`
	Rule    verify.Rule `json:"rule,omitempty"` // the refusing rule
}

func (c *cli) number(args []string) error {
	fs := c.newFlags("number", "[--region R] [--json]", `
Read a phone number as verify.ParseNumber does (national with --region, or
international: +49 …, 0049 …, spaced, dashed, bracketed, full-width digits) and
print its canonical E.164 form, its region and its type from libphonenumber's
numbering data, and what verify's default Limits would do with an sms and a
voice send to it (premium-rate, shared-cost and UAN numbers are refused on every
channel, fixed lines for sms). Nothing is sent; the send limits and the
conversion guard, which count sends, are not judged.
Exit status 0 for any valid number, allowed or not; 2 for one that is not valid.

Examples:
  otpkit number +4917012345678
  otpkit number '0900 1 234567' --region DE`, "NUMBER")
	region := fs.String("region", "", "region (ISO 3166-1 alpha-2, e.g. DE) a national NUMBER is read in")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := fs.parse(c, args)
	if err != nil {
		return err
	}
	n, err := verify.ParseNumber(pos[0], *region)
	var ve *otpkit.ValidationError
	if errors.As(err, &ve) {
		flag := "NUMBER"
		if ve.Field == "region" {
			flag = "--region"
		}
		return usagef(fs.cmd, "%s %s", flag, ve.Reason)
	}
	if err != nil {
		return err
	}
	rep := numberReport{E164: n.E164, Region: n.Region, CountryCode: n.CountryCode, Type: n.Type, Sends: map[string]sendVerdict{}}
	for _, ch := range numberChannels {
		v := sendVerdict{Allowed: true}
		var le *verify.LimitError
		if err := (verify.Limits{}).CheckNumber(n, ch); errors.As(err, &le) {
			v = sendVerdict{Rule: le.Rule}
		} else if err != nil {
			return err
		}
		rep.Sends[string(ch)] = v
	}
	if *asJSON {
		return c.printJSON(rep)
	}
	region2 := n.Region
	if region2 == "001" {
		region2 += " (non-geographic)"
	}
	fmt.Fprintf(c.stdout, "number   %s\nregion   %s, country code %d\ntype     %s\n", n.E164, region2, n.CountryCode, n.Type)
	for _, ch := range numberChannels {
		v := rep.Sends[string(ch)]
		verdict := "allowed by the default policy"
		if !v.Allowed {
			verdict = fmt.Sprintf("refused by the default policy: rule %s (%s)", v.Rule, refusal(v.Rule, n.Type, ch))
		}
		fmt.Fprintf(c.stdout, "%-8s %s\n", ch, verdict)
	}
	return nil
}

// refusal says in words why rule refuses a send on ch to a number of type t.
func refusal(rule verify.Rule, t verify.NumberType, ch otpkit.Channel) string {
	switch {
	case rule != verify.RuleNumberType:
		return "the number's region is not allowed"
	case t == verify.TypeFixedLine:
		return "a fixed line cannot receive " + string(ch)
	default:
		return "a " + t.String() + " number costs the sender extra, what SMS pumping bills through"
	}
}
