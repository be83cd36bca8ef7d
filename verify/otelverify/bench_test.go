package otelverify_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/otelverify"
)

// benchObserver is the observer on the metric SDK (a manual reader, never
// collected) and tp.
func benchObserver(b *testing.B, tp trace.TracerProvider) verify.SpanObserver {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return otelverify.New(mp, tp).(verify.SpanObserver)
}

// BenchmarkOperation is what the observer adds to one Check: its span, the
// checks counter and the provider's duration (a Send that sends at once
// costs the same). Compare with the Check itself (verify's
// BenchmarkServiceCheck*): allocations here are the SDK's, per span.
func BenchmarkOperation(b *testing.B) {
	sdkTP := sdktrace.NewTracerProvider() // samples everything, exports nothing
	b.Cleanup(func() { _ = sdkTP.Shutdown(context.Background()) })
	for _, c := range []struct {
		name string
		tp   trace.TracerProvider
	}{{"sdk-spans", sdkTP}, {"noop-spans", noop.NewTracerProvider()}} {
		b.Run(c.name, func(b *testing.B) {
			obs := benchObserver(b, c.tp)
			e := verify.Event{Kind: verify.EventVerified, Op: verify.OpCheck, Provider: otpkit.ProviderTryvox,
				Channel: otpkit.ChannelSMS, Region: "DE", Latency: 40 * time.Millisecond}
			bg := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				ctx := obs.Start(bg, verify.OpCheck)
				obs.Observe(ctx, e)
				obs.End(ctx, e)
			}
		})
	}
}

// BenchmarkObserve is the cost of one event outside a span: a counter (and
// a duration) with precomputed attributes.
func BenchmarkObserve(b *testing.B) {
	for _, c := range []struct {
		name string
		e    verify.Event
	}{
		{"sent", verify.Event{Kind: verify.EventSent, Op: verify.OpSend, Provider: otpkit.ProviderTryvox,
			Channel: otpkit.ChannelSMS, Region: "DE", Latency: 40 * time.Millisecond}},
		{"refused", verify.Event{Kind: verify.EventSendRefused, Op: verify.OpSend, Channel: otpkit.ChannelSMS,
			Region: "DE", Rule: verify.RuleRecipientSends}},
		{"failover", verify.Event{Kind: verify.EventFailover, Op: verify.OpSend, Provider: otpkit.ProviderTryvox,
			Latency: time.Millisecond}},
	} {
		b.Run(c.name, func(b *testing.B) {
			obs := benchObserver(b, noop.NewTracerProvider())
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				obs.Observe(ctx, c.e)
			}
		})
	}
}
