package verify_test

import (
	"errors"
	"fmt"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// Every spelling of a number is one canonical E.164 number; a national one
// is read in the region the app gives (e.g. from the user's country
// picker).
func ExampleParseNumber() {
	for _, s := range []string{"0170 1234567", "+49 (0)170 123-4567", "0049 170 1234567", "＋４９ １７０ １２３４５６７"} {
		n, err := verify.ParseNumber(s, "DE")
		if err != nil {
			panic(err)
		}
		fmt.Println(n.E164, n.Region, n.Type)
	}
	_, err := verify.ParseNumber("0900 1234567", "")
	fmt.Println(err)
	// Output:
	// +491701234567 DE mobile
	// +491701234567 DE mobile
	// +491701234567 DE mobile
	// +491701234567 DE mobile
	// otpkit: invalid request: number: is national: give it with + and its country code, or give its region
}

// The rules on the number itself, before any send: by default no premium
// rate numbers, and no sms to a fixed line (a call is fine).
func ExampleLimits_CheckNumber() {
	var l verify.Limits // the defaults
	premium, _ := verify.ParseNumber("09001 234567", "DE")
	landline, _ := verify.ParseNumber("030 123456", "DE")

	var le *verify.LimitError
	if errors.As(l.CheckNumber(premium, otpkit.ChannelVoice), &le) {
		fmt.Println(premium.Type, "by voice:", le.Rule)
	}
	if errors.As(l.CheckNumber(landline, otpkit.ChannelSMS), &le) {
		fmt.Println(landline.Type, "by sms:", le.Rule)
	}
	fmt.Println(landline.Type, "by voice:", l.CheckNumber(landline, otpkit.ChannelVoice))

	l.Countries = []string{"AT", "CH"}
	fmt.Println(l.CheckNumber(landline, otpkit.ChannelVoice))
	// Output:
	// premium_rate by voice: number_type
	// fixed_line by sms: number_type
	// fixed_line by voice: <nil>
	// verify: refused by rule country; the number is not allowed
}
