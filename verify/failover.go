package verify

import (
	"context"
	"errors"
	"net/http"

	"github.com/otpkit/otpkit"
)

// failsOver reports whether a provider's send error proves that no message
// went out, so that the next provider may send without the user getting two
// codes. Anything that may have reached the provider and been acted on (a
// timeout or reset after the request was written, an answer that could not
// be read) does not fail over: the user's "resend" then goes through the
// send rules. A request the provider refused as invalid does not either: the
// next provider would get the same request.
func failsOver(ctx context.Context, err error) bool {
	switch {
	case err == nil, ctx.Err() != nil:
		return false
	case errors.Is(err, otpkit.ErrInvalidRequest):
		return false
	case errors.Is(err, otpkit.ErrNotSent):
		return true // never left this process: refused dial, DNS, missing credentials
	case errors.Is(err, otpkit.ErrUnavailable):
		return false // may have been written: the code may be on its way
	case errors.Is(err, otpkit.ErrMissingCredentials):
		return true
	}
	var ae *otpkit.APIError
	if !errors.As(err, &ae) {
		return false // not an answer of the provider: nothing proves it did nothing
	}
	switch {
	case errors.Is(ae, otpkit.ErrServer):
		// A 5xx says the provider failed; a 2xx it could not read
		// (also ErrServer) may be a message sent.
		return ae.StatusCode >= http.StatusInternalServerError
	case errors.Is(ae, otpkit.ErrDeliveryFailed), errors.Is(ae, otpkit.ErrRateLimited),
		errors.Is(ae, otpkit.ErrUnauthorized), errors.Is(ae, otpkit.ErrForbidden),
		errors.Is(ae, otpkit.ErrInsufficientFunds):
		return true
	}
	return false
}
