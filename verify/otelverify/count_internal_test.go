package otelverify

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// sums collects r and returns each counter's data points: name, then the
// attributes' encoding, then the value; and the temporality seen.
func sums(t *testing.T, r sdkmetric.Reader) (map[string]map[string]int64, metricdata.Temporality) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	out := map[string]map[string]int64{}
	var temp metricdata.Temporality
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			s, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			require.True(t, s.IsMonotonic, m.Name)
			temp = s.Temporality
			out[m.Name] = map[string]int64{}
			for _, dp := range s.DataPoints {
				out[m.Name][dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
			}
		}
	}
	return out, temp
}

// Past maxCached combinations, the counts still land: the cache keeps the
// rest in its overflow map, and the callback reads both.
func TestCountsPastTheCacheAreReported(t *testing.T) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithCardinalityLimit(1<<14))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	o := New(mp, noop.NewTracerProvider()).(*observer)
	observeAll := func() int {
		n := 0
		for _, c := range channels {
			for i := 1; i < regionOther; i++ {
				o.Observe(context.Background(), verify.Event{Kind: verify.EventSent, Op: verify.OpSend,
					Provider: otpkit.ProviderTryvox, Channel: otpkit.Channel(c), Region: regionName(i)})
				n++
			}
		}
		return n
	}
	n := observeAll()
	require.Greater(t, n, maxCached)
	require.NotEmpty(t, o.finals.more, "the test goes past the copied map")
	for round := int64(1); round <= 2; round++ {
		got, temp := sums(t, r)
		assert.Equal(t, metricdata.CumulativeTemporality, temp)
		require.Len(t, got[MetricSends], n)
		for attrs, v := range got[MetricSends] {
			require.Equal(t, round, v, attrs)
		}
		observeAll()
	}
}

// Under a reader that asks for deltas, each collection has what was
// counted since the last, as with a synchronous counter.
func TestCountsAsDeltas(t *testing.T) {
	r := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality {
		return metricdata.DeltaTemporality
	}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	o := New(mp, noop.NewTracerProvider())
	refused := verify.Event{Kind: verify.EventSendRefused, Op: verify.OpSend, Rule: verify.RuleIPSends}
	for range 3 {
		o.Observe(context.Background(), refused)
	}
	got, temp := sums(t, r)
	assert.Equal(t, metricdata.DeltaTemporality, temp)
	assert.Equal(t, map[string]int64{"otpkit.outcome=refused": 3}, got[MetricSends])
	assert.Equal(t, map[string]int64{"otpkit.rule=ip_sends": 3}, got[MetricRefusals])
	o.Observe(context.Background(), refused)
	got, _ = sums(t, r)
	assert.Equal(t, map[string]int64{"otpkit.outcome=refused": 1}, got[MetricSends])
	assert.Equal(t, map[string]int64{"otpkit.rule=ip_sends": 1}, got[MetricRefusals])
}

// Goroutines counting while the SDK collects: no count lost or doubled
// (run with -race).
func TestCountsWhileCollecting(t *testing.T) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	o := New(mp, noop.NewTracerProvider())
	events := []verify.Event{
		{Kind: verify.EventVerified, Op: verify.OpCheck, Provider: otpkit.ProviderTryvox, Channel: otpkit.ChannelSMS, Region: "DE", Latency: time.Millisecond},
		{Kind: verify.EventWrongCode, Op: verify.OpCheck, Provider: otpkit.ProviderDotdigital, Region: "FR"},
		{Kind: verify.EventCheckRefused, Op: verify.OpCheck, Rule: verify.RuleFailures},
		{Kind: verify.EventFailover, Op: verify.OpSend, Provider: otpkit.ProviderTryvox},
		{Kind: verify.EventWouldRefuse, Op: verify.OpSend, Rule: verify.RuleCountry},
		{Kind: verify.EventStoreError},
	}
	const perGoroutine = 3000
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range perGoroutine {
				o.Observe(context.Background(), events[(g+i)%len(events)])
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for collecting := true; collecting; {
		select {
		case <-done:
			collecting = false
		default:
			sums(t, r)
		}
	}
	got, _ := sums(t, r)
	total := int64(0)
	for _, name := range []string{MetricChecks, MetricFailovers, MetricMonitoredRefusals, MetricStoreErrors} {
		for _, v := range got[name] {
			total += v
		}
	}
	assert.Equal(t, int64(4*perGoroutine), total, "every event counted once by its counter")
	var refusals int64
	for _, v := range got[MetricRefusals] {
		refusals += v
	}
	assert.Equal(t, got[MetricChecks]["otpkit.outcome=refused"], refusals, "a refused check counts in both")
}
