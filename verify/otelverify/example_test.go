package otelverify_test

import (
	"context"
	"fmt"
	"sort"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/otelverify"
)

// The Service's metrics and spans for a failover, a send and its check. In
// production mp and tp are the app's (or nil: the global ones), exporting
// to its collector; here a ManualReader and a span recorder show what they
// got.
func ExampleNew() {
	srv := mock.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	srv.InjectFault("POST /v1/verify/start", mock.Fault{Status: 503}) // Tryvox is down once

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	g, _ := verify.NewGuard(verify.NewMemoryStore(), verify.WithObserver(otelverify.New(mp, tp)))
	svc, _ := verify.New(g, verify.Tryvox(client), verify.Dotdigital(client))

	ctx := context.Background()
	sent, _ := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
	code, _ := srv.CodeFor(sent.ProviderID)
	_ = svc.Check(ctx, sent.Ref, code)

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	enc := attribute.DefaultEncoder()
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} %d", m.Name, p.Attributes.Encoded(enc), p.Value))
			}
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} %d calls", m.Name, p.Attributes.Encoded(enc), p.Count))
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	for _, s := range spans.Ended() {
		var events []string
		for _, e := range s.Events() {
			events = append(events, e.Name)
		}
		set := attribute.NewSet(s.Attributes()...)
		fmt.Printf("span %s{%s} events %v\n", s.Name(), set.Encoded(enc), events)
	}
	// Output:
	// otpkit.provider.duration{otpkit.operation=check,otpkit.provider=dotdigital} 1 calls
	// otpkit.provider.duration{otpkit.operation=send,otpkit.provider=dotdigital} 1 calls
	// otpkit.provider.duration{otpkit.operation=send,otpkit.provider=tryvox} 1 calls
	// otpkit.verify.checks{otpkit.channel=sms,otpkit.outcome=verified,otpkit.provider=dotdigital,otpkit.region=DE} 1
	// otpkit.verify.failovers{otpkit.provider=tryvox} 1
	// otpkit.verify.sends{otpkit.channel=sms,otpkit.outcome=sent,otpkit.provider=dotdigital,otpkit.region=DE} 1
	// span verify.Send{otpkit.channel=sms,otpkit.outcome=sent,otpkit.provider=dotdigital,otpkit.region=DE} events [otpkit.failover]
	// span verify.Check{otpkit.outcome=verified,otpkit.provider=dotdigital} events []
}
