// Package otelverify reports what a verify.Guard and the verify.Services on
// it do as OpenTelemetry metrics and trace spans. It is the only otpkit
// package that imports OpenTelemetry; package verify knows only its small
// Observer interface.
//
//	obs := otelverify.New(nil, nil) // the global MeterProvider and TracerProvider
//	g, err := verify.NewGuard(store, verify.WithSecret(key), verify.WithObserver(obs))
//
// Metrics (names and attributes are fixed: dashboards are built on them):
//   - otpkit.verify.sends, counter: one per Send; otpkit.provider,
//     otpkit.channel, otpkit.region, otpkit.outcome (sent, refused, failed).
//     A refused Send has no provider.
//   - otpkit.verify.checks, counter: one per Check; otpkit.provider,
//     otpkit.outcome (verified, wrong, locked, expired, refused, error), and
//     otpkit.channel and otpkit.region when the Service knows them.
//   - otpkit.verify.refusals, counter: one per refusal, of sends and checks
//     alike; otpkit.rule.
//   - otpkit.verify.failovers, counter: otpkit.provider, the provider failed
//     over from.
//   - otpkit.provider.duration, histogram in seconds: one per provider
//     call; otpkit.provider, otpkit.operation (send, check).
//   - otpkit.verify.monitored_refusals, counter: a rule that would have
//     refused a send under Limits.Monitor; otpkit.rule.
//   - otpkit.verify.store_errors, counter: the Store failed;
//     otpkit.operation when it was within a Send or a Check.
//
// Conversion per provider, channel or region is checks{outcome=verified}
// divided by sends{outcome=sent}.
//
// The counters are asynchronous (observable) counters, counted by the
// observer and read by the SDK at each collection: monotonic sums, the same
// figures a synchronous counter gives, without exemplars. The histogram's
// points carry the operation's span as an exemplar (with the SDK's default
// exemplar filter, when the span is sampled).
//
// Spans: verify.Send, with the sends' attributes, and verify.Check, with
// otpkit.provider and otpkit.outcome (the checks counter's channel and
// region stay off the span: each attribute costs every sampled Check);
// otpkit.rule on a refusal; status Error when the operation failed; and an
// event per failover, store error and monitored refusal. A provider's HTTP
// calls are the span's children when the app's otpkit.Client has an
// instrumented transport, e.g. otelhttp's:
//
//	client, err := otpkit.NewClient(otpkit.WithEnv(),
//		otpkit.WithHTTPClient(&http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}))
//
// No attribute holds a phone number, e-mail address, IP address, code or
// ref: each is one of a few known words ("other" for anything else).
package otelverify

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/otpkit/otpkit/verify"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/otpkit/otpkit/verify/otelverify"

// The metrics' names.
const (
	MetricSends             = "otpkit.verify.sends"
	MetricChecks            = "otpkit.verify.checks"
	MetricRefusals          = "otpkit.verify.refusals"
	MetricFailovers         = "otpkit.verify.failovers"
	MetricProviderDuration  = "otpkit.provider.duration"
	MetricMonitoredRefusals = "otpkit.verify.monitored_refusals"
	MetricStoreErrors       = "otpkit.verify.store_errors"
)

// The spans' names.
const (
	SpanSend  = "verify.Send"
	SpanCheck = "verify.Check"
)

// durationBuckets are the histogram's bounds in seconds: OpenTelemetry's
// advice for HTTP call durations, which provider calls are.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// New returns a verify.Observer (a verify.SpanObserver) that records
// metrics with mp and spans with tp; a nil mp or tp means the global one
// (otel.GetMeterProvider, otel.GetTracerProvider), which follows a provider
// set later. Give it to verify.NewGuard with verify.WithObserver.
//
// The counters cost an event an atomic add: the SDK reads the counts when
// it collects (see count.go).
func New(mp metric.MeterProvider, tp trace.TracerProvider) verify.Observer {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(ScopeName)
	o := &observer{tracer: tp.Tracer(ScopeName)}
	h, err := m.Float64Histogram(MetricProviderDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of a provider call, by provider and operation (send, check)."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil || h == nil {
		otel.Handle(err)
		h = noop.Float64Histogram{}
	}
	o.duration = h
	o.precompute()
	o.registerCounters(m)
	return o
}

// observer is New's Observer.
type observer struct {
	tracer   trace.Tracer
	duration metric.Float64Histogram
	counters counters // the counters' instruments, read by report

	// What each event needs, built once (see precompute and attrs.go):
	// counting an event or recording a duration then allocates nothing of
	// ours and builds no attribute set.
	failoverOpt [nProviders]countedEvent // by provider
	durationOpt [nProviders][nOps][]metric.RecordOption
	storeOpt    [nOps]countedEvent            // by operation
	finals      cache[finalCode, *finalAttrs] // events without a rule
	ruled       cache[finalKey, *finalAttrs]  // refusals
	rules       cache[string, *ruleAttrs]
}

// countedEvent is what an event that is counted and added to the span as an
// event records: a failover, a store error.
type countedEvent struct {
	count series
	event []trace.EventOption
}

// precompute builds the options of the attributes with few values.
func (o *observer) precompute() {
	for i, p := range providers {
		kv := kvs(nil, keyProvider.String(p))
		o.failoverOpt[i].count.set(kv)
		o.failoverOpt[i].event = []trace.EventOption{trace.WithAttributes(kv...)}
		for j, op := range ops {
			set := attribute.NewSet(kvs(nil, keyProvider.String(p), keyOperation.String(op))...)
			o.durationOpt[i][j] = []metric.RecordOption{metric.WithAttributeSet(set)}
		}
	}
	for j, op := range ops {
		kv := kvs(nil, keyOperation.String(op))
		o.storeOpt[j].count.set(kv)
		o.storeOpt[j].event = []trace.EventOption{trace.WithAttributes(kv...)}
	}
}

// Start opens the operation's span: verify.Send or verify.Check.
func (o *observer) Start(ctx context.Context, op verify.Op) context.Context {
	name := SpanCheck
	if op == verify.OpSend {
		name = SpanSend
	}
	// No options: SpanKindInternal is the default kind, and an option
	// costs the SDK a config copy per span.
	ctx, _ = o.tracer.Start(ctx, name)
	return ctx
}

// End sets the span's attributes and status from the operation's last
// event and ends it.
func (o *observer) End(ctx context.Context, e verify.Event) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		f := o.final(e)
		span.SetAttributes(f.span...)
		if f.failed {
			desc := f.outcome
			if e.Err != nil {
				desc = e.Err.Error() // verify's event errors name no person, code or ref
			}
			span.SetStatus(codes.Error, desc)
		}
	}
	span.End()
}

// Observe counts e.
func (o *observer) Observe(ctx context.Context, e verify.Event) {
	switch e.Kind {
	case verify.EventFailover:
		f := &o.failoverOpt[providerIndex(e.Provider)]
		f.count.add()
		addSpanEvent(ctx, "otpkit.failover", f.event)
	case verify.EventStoreError:
		s := &o.storeOpt[opIndex(e.Op)]
		s.count.add()
		addSpanEvent(ctx, "otpkit.store_error", s.event)
	case verify.EventWouldRefuse:
		r := o.rule(e.Rule)
		r.monitored.add()
		addSpanEvent(ctx, "otpkit.monitored_refusal", r.event)
	default:
		if e.Kind.Final() {
			f := o.final(e)
			f.count.add() // sends or checks
			if f.refusal != nil {
				f.refusal.refused.add()
			}
		}
	}
	if e.Latency > 0 && e.Provider != "" {
		op := e.Op
		if op == "" {
			op = e.Kind.Op()
		}
		opts := o.durationOpt[providerIndex(e.Provider)][opIndex(op)]
		o.duration.Record(ctx, e.Latency.Seconds(), opts...)
	}
}

// addSpanEvent adds an event to the context's span, if it records.
func addSpanEvent(ctx context.Context, name string, opts []trace.EventOption) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(name, opts...)
	}
}
