package otpkit

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayRefused reads net/http's "cannot retry" error: a refused stream or
// a GOAWAY for a later stream was not processed (the client may send the
// write again), any other reset may have been.
func TestReplayRefused(t *testing.T) {
	wrap := func(cause string) error {
		return fmt.Errorf("http2: Transport: cannot retry err [%s] after Request.Body was written; define Request.GetBody to avoid this error", cause)
	}
	for cause, unprocessed := range map[string]bool{
		"stream error: stream ID 3; PROTOCOL_ERROR; received from peer": false,
		"stream error: stream ID 1; REFUSED_STREAM; received from peer": true,
		"http2: Transport received Server's graceful shutdown GOAWAY":   true,
		"http2: client connection lost":                                 false,
	} {
		in := wrap(cause)
		err := replayRefused(in)
		var se *sentError
		require.ErrorAs(t, err, &se, cause)
		assert.Equal(t, unprocessed, se.unprocessed, cause)
		assert.Equal(t, unprocessed, notSent(err), cause)
		assert.Contains(t, err.Error(), cause)
		assert.NotContains(t, err.Error(), "GetBody")
		assert.ErrorIs(t, err, in, "net/http's error stays in the chain")
	}
	for _, other := range []error{io.EOF, errors.New("cannot retry err [x"), errors.New("x] after Request.Body was written")} {
		assert.Equal(t, other, replayRefused(other))
	}
}
