package otelverify_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
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
// checks count and the provider's duration (a Send that sends at once
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

// BenchmarkObserve is the cost of one event outside a span: a count (an
// atomic add) and, for a provider call, a duration point with a
// precomputed attribute set.
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

// BenchmarkCollect is what the counters cost instead: a collection by the
// SDK reads every series the observer counted (here 8 outcomes of sends
// and checks, each in 7 channels and 30 regions: 1,680 series, more than
// an app is likely to have) through their callback, besides the
// histogram's points (one provider and operation).
func BenchmarkCollect(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	obs := otelverify.New(mp, noop.NewTracerProvider())
	ctx := context.Background()
	kinds := []verify.EventKind{verify.EventSent, verify.EventSendFailed, verify.EventVerified, verify.EventWrongCode,
		verify.EventLocked, verify.EventExpired, verify.EventCheckFailed, verify.EventSendRefused}
	channels := []otpkit.Channel{"", otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp,
		otpkit.ChannelTelegram, otpkit.ChannelEmail, "x"}
	for _, k := range kinds {
		for _, ch := range channels {
			for r := range 30 {
				obs.Observe(ctx, verify.Event{Kind: k, Provider: otpkit.ProviderTryvox, Channel: ch,
					Region: string([]byte{'A' + byte(r/26), 'A' + byte(r%26)}), Latency: time.Millisecond})
			}
		}
	}
	var rm metricdata.ResourceMetrics
	b.ReportAllocs()
	for b.Loop() {
		if err := reader.Collect(ctx, &rm); err != nil {
			b.Fatal(err)
		}
	}
}
