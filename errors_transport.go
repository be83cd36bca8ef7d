package otpkit

import "errors"

// Sentinels for a call that got no answer from the provider. They say what
// an app may do next, which the network error itself does not: match them
// with errors.Is. Neither is ever an *APIError's sentinel alone: a provider
// that answered, even with 5xx, was reachable.
var (
	// ErrUnavailable: the provider could not be reached, or the connection
	// broke before a whole answer arrived: a refused dial, a name that did
	// not resolve, a reset, an EOF, a body cut short, or the call's own
	// timeout (WithTimeout, or an http.Client.Timeout per attempt) running
	// out. The caller's own context being done is not ErrUnavailable: the
	// error then matches ctx.Err() instead.
	//
	// A write that is ErrUnavailable but not ErrNotSent may have reached the
	// provider: the message may have gone out or the attempt been counted.
	ErrUnavailable = errors.New("otpkit: provider unavailable")
	// ErrNotSent: the request provably never left this process (refused
	// dial, name not resolved, credentials missing, client-side
	// validation, a kept-alive connection found dead before any byte was
	// written and then a refused dial), or an HTTP/2 server refused it
	// unread, so sending it elsewhere, to another provider, sends nothing
	// twice. A reset or a timeout after the request was written is
	// ErrUnavailable but not ErrNotSent.
	ErrNotSent = errors.New("otpkit: request not sent")
)

// sendError adds the ErrUnavailable and ErrNotSent classification to an
// error that otherwise keeps its text and its chain (a *net.OpError, a
// context error, an *APIError for a body cut short stay reachable with
// errors.Is and errors.As).
type sendError struct {
	err         error
	unavailable bool
	notSent     bool
}

func (e *sendError) Error() string { return e.err.Error() }

func (e *sendError) Unwrap() error { return e.err }

// Is matches ErrUnavailable and ErrNotSent as classified.
func (e *sendError) Is(target error) bool {
	return target == ErrUnavailable && e.unavailable || target == ErrNotSent && e.notSent
}

// notSentError marks an error raised before any request was made
// (missing credentials, a request that cannot be encoded).
func notSentError(err error) error { return &sendError{err: err, notSent: true} }

// unavailableError marks a failure to get a whole answer; notSent says
// whether no attempt of the call can have reached the provider.
func unavailableError(err error, notSent bool) error {
	return &sendError{err: err, unavailable: true, notSent: notSent}
}
