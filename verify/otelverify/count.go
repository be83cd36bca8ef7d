package otelverify

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The counters are observable: an event adds one to its series, an atomic
// add on what final (or the tables of precompute) already found for it,
// and the SDK reads every series at each collection through report. A
// synchronous counter's Add would cost the SDK an attribute set check, a
// lookup of the set's aggregator and, when the context carries a sampled
// span, an exemplar with a clock read, on every Send and Check: most of the
// observer's cost besides the span. The sums exported are the same
// (monotonic and cumulative; the SDK makes deltas of them when the reader
// asks for deltas).

// series is one counter's count of one attribute set.
type series struct {
	n    atomic.Int64
	opts []metric.ObserveOption // the attribute set
}

// set gives s its attributes.
func (s *series) set(kv []attribute.KeyValue) {
	s.opts = []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}

// add counts one.
func (s *series) add() { s.n.Add(1) }

// observe reports s's count to c, if it counted anything: a series nothing
// was counted in is not one (as with a synchronous counter).
func (s *series) observe(obs metric.Observer, c metric.Int64Observable) {
	if n := s.n.Load(); n > 0 {
		obs.ObserveInt64(c, n, s.opts...)
	}
}

// counters are the observable counters.
type counters struct {
	sends, checks, refusals, failovers, monitored, storeErrs metric.Int64ObservableCounter
}

// registerCounters makes the counters and registers report as their
// callback. A meter that refuses leaves them unreported (after telling
// otel's error handler); the spans and the histogram go on.
func (o *observer) registerCounters(m metric.Meter) {
	var errs []error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			errs = append(errs, err)
		}
		return c
	}
	c := &o.counters
	c.sends = counter(MetricSends, "{send}", "Sends of a code, one per Send, by outcome: sent, refused, failed.")
	c.checks = counter(MetricChecks, "{check}", "Checks of a code, one per Check, by outcome: verified, wrong, locked, expired, refused, error.")
	c.refusals = counter(MetricRefusals, "{refusal}", "Sends and checks a rule refused, by rule.")
	c.failovers = counter(MetricFailovers, "{failover}", "Sends that moved on from a provider that sent nothing, by that provider.")
	c.monitored = counter(MetricMonitoredRefusals, "{refusal}", "Sends a rule would have refused without Limits.Monitor, by rule.")
	c.storeErrs = counter(MetricStoreErrors, "{error}", "Failures of the verification store.")
	if len(errs) == 0 {
		_, err := m.RegisterCallback(o.report, c.sends, c.checks, c.refusals, c.failovers, c.monitored, c.storeErrs)
		errs = append(errs, err)
	}
	for _, err := range errs {
		if err != nil {
			otel.Handle(err)
		}
	}
}

// report is the counters' callback: every series that counted anything.
// Each is observed once: a refusal's finalAttrs shares its finalCode's
// series, and only the finals are read.
func (o *observer) report(_ context.Context, obs metric.Observer) error {
	c := &o.counters
	o.finals.each(func(f *finalAttrs) {
		if f.send {
			f.count.observe(obs, c.sends)
		} else {
			f.count.observe(obs, c.checks)
		}
	})
	o.rules.each(func(r *ruleAttrs) {
		r.refused.observe(obs, c.refusals)
		r.monitored.observe(obs, c.monitored)
	})
	for i := range o.failoverOpt {
		o.failoverOpt[i].count.observe(obs, c.failovers)
	}
	for i := range o.storeOpt {
		o.storeOpt[i].count.observe(obs, c.storeErrs)
	}
	return nil
}
