package otelverify_test

import (
	"context"
	"fmt"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/paired"
	"github.com/otpkit/otpkit/verify/otelverify"
)

// BenchmarkServiceCheckObserved is the goal's measurement: Service.Check of
// a right code over the mock with the OpenTelemetry observer (the metric
// SDK with a reader, never collected) against the same Check without an
// observer, op by op in alternating order on one mock
// (verify/internal/paired). It reports both and their ratio,
// observed/plain; the goal is at most 1.05. spans=sampled is the trace SDK
// sampling every span (each Check records one) with no span processor;
// spans=exported the same with a BatchSpanProcessor over an exporter that
// drops what it gets (the worst case: what an app exporting every span
// pays);
// spans=unsampled the trace SDK sampling none (what the Checks an app does
// not trace cost it: with 1 % of requests traced, 99 % of them).
func BenchmarkServiceCheckObserved(b *testing.B) {
	for _, name := range []otpkit.Provider{otpkit.ProviderTryvox, otpkit.ProviderDotdigital, otpkit.ProviderLOX24} {
		for _, spans := range []string{"sampled", "exported", "unsampled"} {
			b.Run("provider="+string(name)+"/spans="+spans, func(b *testing.B) {
				ctx := context.Background()
				srv := mock.NewServer()
				b.Cleanup(srv.Close)
				c, err := srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{}))
				must(b, err)
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				b.Cleanup(func() { _ = mp.Shutdown(ctx) })
				sampler := sdktrace.AlwaysSample()
				if spans == "unsampled" {
					sampler = sdktrace.NeverSample()
				}
				topts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sampler)} // no processor: exports nothing
				if spans == "exported" {
					// What an app that exports its spans registers: End hands
					// each span's snapshot to a batch processor.
					topts = append(topts, sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				}
				tp := sdktrace.NewTracerProvider(topts...)
				b.Cleanup(func() { _ = tp.Shutdown(ctx) })

				observed := newBenchService(b, name, c, verify.WithObserver(otelverify.New(mp, tp)))
				plain := newBenchService(b, name, c)
				checks := [2][]func() error{make([]func() error, b.N), make([]func() error, b.N)}
				for i := 0; i < b.N; i++ {
					checks[0][i] = prepareCheck(b, ctx, srv, observed, fmt.Sprintf("+4915%09d", 2*i))
					checks[1][i] = prepareCheck(b, ctx, srv, plain, fmt.Sprintf("+4915%09d", 2*i+1))
				}
				paired.Run(b, [2]string{"observed", "plain"}, checks)
			})
		}
	}
}

// newBenchService is a Service over the provider name of c, on a Guard of
// its own with the send rules off (the conversion guard too: every code is
// sent before any is checked, which it would take for pumping).
func newBenchService(b *testing.B, name otpkit.Provider, c *otpkit.Client, opts ...verify.GuardOption) *verify.Service {
	open := verify.Limits{SendInterval: -1, RecipientSends: verify.Rate{Count: -1},
		IPSends: verify.Rate{Count: -1}, PrefixSends: verify.Rate{Count: -1}, ConversionWindow: -1}
	g, err := verify.NewGuard(verify.NewMemoryStore(), append([]verify.GuardOption{verify.WithLimits(open)}, opts...)...)
	must(b, err)
	var p verify.Provider
	switch name {
	case otpkit.ProviderTryvox:
		p = verify.Tryvox(c)
	case otpkit.ProviderDotdigital:
		p = verify.Dotdigital(c)
	default:
		p = verify.LOX24(c)
	}
	s, err := verify.New(g, p)
	must(b, err)
	return s
}

// prepareCheck sends a code to to and returns its Check.
func prepareCheck(b *testing.B, ctx context.Context, srv *mock.Server, svc *verify.Service, to string) func() error {
	s, err := svc.Send(ctx, &verify.SendRequest{To: to})
	must(b, err)
	code, _ := srv.CodeFor(s.ProviderID)
	return func() error { return svc.Check(ctx, s.Ref, code) }
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
