package otelverify_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// tracingTransport starts a span per request from the request's context, as
// an instrumented transport (otelhttp's) does.
type tracingTransport struct {
	tracer trace.Tracer
	base   http.RoundTripper
}

func (t tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := t.tracer.Start(r.Context(), "HTTP "+r.Method)
	defer span.End()
	return t.base.RoundTrip(r.WithContext(ctx))
}

// The README's promise: given a context from the observer's Start, a
// Client with an instrumented transport makes the provider's HTTP calls
// children of the operation's span (the Service passes that context to its
// provider calls).
func TestProviderCallsAreChildrenOfTheSpan(t *testing.T) {
	s := newSDK(t)
	srv := mock.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{}),
		otpkit.WithHTTPClient(&http.Client{Transport: tracingTransport{s.tp.Tracer("http"), http.DefaultTransport}}))
	require.NoError(t, err)

	ctx := s.obs.Start(context.Background(), verify.OpSend)
	v, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	require.NotEmpty(t, v.ID)
	s.obs.End(ctx, verify.Event{Kind: verify.EventSent, Op: verify.OpSend, Provider: otpkit.ProviderTryvox})

	ended := s.spans.Ended()
	require.Len(t, ended, 2)
	httpSpan, op := ended[0], ended[1]
	assert.Equal(t, "HTTP POST", httpSpan.Name())
	assert.Equal(t, "verify.Send", op.Name())
	assert.Equal(t, op.SpanContext().SpanID(), httpSpan.Parent().SpanID())
	assert.Equal(t, op.SpanContext().TraceID(), httpSpan.SpanContext().TraceID())
}
