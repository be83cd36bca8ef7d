package otpkit

import "github.com/otpkit/otpkit/internal/rules"

// CodesEqual reports whether the code the user typed (input) is the code
// the app kept (want), comparing in constant time so that the time taken
// reveals nothing about how many leading digits were right. It is false
// when either is empty. Use it for a LOX24 code the app chose or stored
// itself; (*VerifyCode).Matches does the same on a VerifyCode.
//
// A comparison alone is not a verification: a 6-digit code falls to
// guessing unless the app also caps wrong guesses (5), expires the code (10
// minutes) and accepts it once. The verify package's Guard
// (verify.NewGuard, then (*verify.Guard).Issue and Check) keeps those rules.
func CodesEqual(want, input string) bool {
	if want == "" || input == "" {
		return false
	}
	return rules.CodesEqual(want, input)
}
