package otelverify_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/otelverify"
)

// sdk is an observer on OpenTelemetry's SDK, with a manual metric reader
// and a span recorder to look at what it recorded.
type sdk struct {
	obs    verify.SpanObserver
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
}

func newSDK(t testing.TB) *sdk {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	obs, ok := otelverify.New(mp, tp).(verify.SpanObserver)
	require.True(t, ok, "the observer opens spans")
	return &sdk{obs: obs, reader: reader, spans: spans, tp: tp}
}

// op runs one operation through the observer as a Service does: Start, the
// events (a provider call's own HTTP span first, as an instrumented
// transport would make it), End with the last.
func (s *sdk) op(op verify.Op, events ...verify.Event) {
	ctx := s.obs.Start(context.Background(), op)
	for _, e := range events {
		if e.Latency > 0 {
			_, http := s.tp.Tracer("http").Start(ctx, "HTTP POST")
			http.End()
		}
		s.obs.Observe(ctx, e)
	}
	s.obs.End(ctx, events[len(events)-1])
}

// points are a collection's data points, by "metric{k=v,...}" (attributes
// sorted): a counter's sum, a histogram's count; sums holds the histograms'
// sums.
type points struct {
	values map[string]float64
	sums   map[string]float64
	attrs  []attribute.KeyValue // every attribute seen
}

func collect(t *testing.T, r *sdkmetric.ManualReader) points {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	p := points{values: map[string]float64{}, sums: map[string]float64{}}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otelverify.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				assert.True(t, d.IsMonotonic, m.Name)
				for _, dp := range d.DataPoints {
					p.values[key(m.Name, dp.Attributes)] = float64(dp.Value)
					p.attrs = append(p.attrs, dp.Attributes.ToSlice()...)
				}
			case metricdata.Histogram[float64]:
				assert.Equal(t, "s", m.Unit)
				for _, dp := range d.DataPoints {
					p.values[key(m.Name, dp.Attributes)] = float64(dp.Count)
					p.sums[key(m.Name, dp.Attributes)] = dp.Sum
					p.attrs = append(p.attrs, dp.Attributes.ToSlice()...)
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return p
}

func key(name string, set attribute.Set) string {
	var kv []string
	for _, a := range set.ToSlice() {
		kv = append(kv, strings.TrimPrefix(string(a.Key), "otpkit.")+"="+a.Value.String())
	}
	sort.Strings(kv)
	return name + "{" + strings.Join(kv, ",") + "}"
}

// safeValue is what every attribute value must look like: a word of
// lower-case letters and underscores, a region's two capitals, or lox24. No
// other digit, "+", "@" or "." can pass: no number, code, address or ref.
var safeValue = regexp.MustCompile(`^([a-z_]+|[A-Z]{2}|lox24)$`)

const (
	tv = otpkit.ProviderTryvox
	dd = otpkit.ProviderDotdigital
	lx = otpkit.ProviderLOX24
)

var (
	sms   = otpkit.ChannelSMS
	voice = otpkit.ChannelVoice
	ms    = time.Millisecond
	// Errors as verify hands them to an observer: texts without a person.
	errServer      = fmt.Errorf("otpkit: server error (tryvox HTTP 503): %w", otpkit.ErrServer)
	errStore       = errors.New("verify: store failed")
	errUnavailable = fmt.Errorf("otpkit: provider unavailable (may have been sent): %w", otpkit.ErrUnavailable)
)

// script is a run: sends on three providers, failovers, a refusal, a
// monitored rule, wrong and right codes, every check outcome, store errors,
// and an event whose fields hold a number, an address and a code.
func script(s *sdk) {
	send, check := verify.OpSend, verify.OpCheck
	s.op(send, // S1: a failover, then sent
		verify.Event{Kind: verify.EventFailover, Op: send, Provider: tv, Channel: sms, Region: "DE", Latency: 20 * ms, Err: errServer},
		verify.Event{Kind: verify.EventSent, Op: send, Provider: dd, Channel: sms, Region: "DE", Latency: 30 * ms})
	s.op(send, verify.Event{Kind: verify.EventSent, Op: send, Provider: lx, Channel: sms, Region: "FR", Latency: 10 * ms})
	s.op(send, // S3: a rule that would refuse under Monitor
		verify.Event{Kind: verify.EventWouldRefuse, Op: send, Channel: voice, Region: "BR", Rule: "country"},
		verify.Event{Kind: verify.EventSent, Op: send, Provider: tv, Channel: voice, Region: "BR", Latency: 15 * ms})
	s.op(send, verify.Event{Kind: verify.EventSendRefused, Op: send, Channel: sms, Region: "DE", Rule: verify.RuleRecipientSends,
		Err: &verify.LimitError{Rule: verify.RuleRecipientSends, RetryAfter: time.Hour}})
	s.op(send, // S5: every provider failed over
		verify.Event{Kind: verify.EventFailover, Op: send, Provider: tv, Channel: sms, Region: "DE", Latency: 5 * ms, Err: errServer},
		verify.Event{Kind: verify.EventFailover, Op: send, Provider: dd, Channel: sms, Region: "DE", Latency: 6 * ms, Err: errServer},
		verify.Event{Kind: verify.EventSendFailed, Op: send, Channel: sms, Region: "DE", Err: errors.New("verify: no provider could send")})
	s.op(send, // S6: the store failed in the send rules
		verify.Event{Kind: verify.EventStoreError, Op: send, Err: errStore},
		verify.Event{Kind: verify.EventSendFailed, Op: send, Channel: sms, Region: "DE", Err: errStore})
	s.op(send, verify.Event{Kind: verify.EventSent, Op: send, Provider: "198.51.100.23", Channel: "+4917012345678",
		Region: "493817", Latency: ms}) // S7: hostile fields

	s.op(check, verify.Event{Kind: verify.EventWrongCode, Op: check, Provider: dd, Channel: sms, Region: "DE", Latency: 8 * ms,
		Err: &verify.InvalidCodeError{AttemptsLeft: 2}})
	s.op(check, verify.Event{Kind: verify.EventVerified, Op: check, Provider: dd, Channel: sms, Region: "DE", Latency: 9 * ms})
	s.op(check, verify.Event{Kind: verify.EventVerified, Op: check, Provider: lx, Channel: sms, Region: "FR"}) // the Guard checked
	s.op(check, verify.Event{Kind: verify.EventLocked, Op: check, Provider: tv, Latency: 7 * ms})
	s.op(check, verify.Event{Kind: verify.EventExpired, Op: check})
	s.op(check, verify.Event{Kind: verify.EventCheckRefused, Op: check, Provider: tv, Rule: verify.RuleFailures,
		Err: &verify.LimitError{Rule: verify.RuleFailures}})
	s.op(check, verify.Event{Kind: verify.EventCheckFailed, Op: check, Provider: tv, Latency: time.Second, Err: errUnavailable})
	s.op(check,
		verify.Event{Kind: verify.EventStoreError, Op: check, Err: errStore},
		verify.Event{Kind: verify.EventCheckFailed, Op: check, Err: errStore})
	// A store error outside any operation (Guard.Unlock).
	s.obs.Observe(context.Background(), verify.Event{Kind: verify.EventStoreError, Err: errStore})
}

func TestMetricsOfAScriptedRunAreExact(t *testing.T) {
	s := newSDK(t)
	script(s)
	p := collect(t, s.reader)
	assert.Equal(t, map[string]float64{
		"otpkit.verify.sends{channel=sms,outcome=sent,provider=dotdigital,region=DE}":      1,
		"otpkit.verify.sends{channel=sms,outcome=sent,provider=lox24,region=FR}":           1,
		"otpkit.verify.sends{channel=voice,outcome=sent,provider=tryvox,region=BR}":        1,
		"otpkit.verify.sends{channel=sms,outcome=refused,region=DE}":                       1,
		"otpkit.verify.sends{channel=sms,outcome=failed,region=DE}":                        2,
		"otpkit.verify.sends{channel=other,outcome=sent,provider=other,region=other}":      1,
		"otpkit.verify.checks{channel=sms,outcome=wrong,provider=dotdigital,region=DE}":    1,
		"otpkit.verify.checks{channel=sms,outcome=verified,provider=dotdigital,region=DE}": 1,
		"otpkit.verify.checks{channel=sms,outcome=verified,provider=lox24,region=FR}":      1,
		"otpkit.verify.checks{outcome=locked,provider=tryvox}":                             1,
		"otpkit.verify.checks{outcome=expired}":                                            1,
		"otpkit.verify.checks{outcome=refused,provider=tryvox}":                            1,
		"otpkit.verify.checks{outcome=error,provider=tryvox}":                              1,
		"otpkit.verify.checks{outcome=error}":                                              1,
		"otpkit.verify.refusals{rule=recipient_sends}":                                     1,
		"otpkit.verify.refusals{rule=failures}":                                            1,
		"otpkit.verify.failovers{provider=tryvox}":                                         2,
		"otpkit.verify.failovers{provider=dotdigital}":                                     1,
		"otpkit.verify.monitored_refusals{rule=country}":                                   1,
		"otpkit.verify.store_errors{operation=send}":                                       1,
		"otpkit.verify.store_errors{operation=check}":                                      1,
		"otpkit.verify.store_errors{}":                                                     1,
		"otpkit.provider.duration{operation=send,provider=tryvox}":                         3,
		"otpkit.provider.duration{operation=send,provider=dotdigital}":                     2,
		"otpkit.provider.duration{operation=send,provider=lox24}":                          1,
		"otpkit.provider.duration{operation=send,provider=other}":                          1,
		"otpkit.provider.duration{operation=check,provider=dotdigital}":                    2,
		"otpkit.provider.duration{operation=check,provider=tryvox}":                        2,
	}, p.values)
	assert.InDelta(t, 0.040, p.sums["otpkit.provider.duration{operation=send,provider=tryvox}"], 1e-9, "seconds")
	assert.InDelta(t, 1.007, p.sums["otpkit.provider.duration{operation=check,provider=tryvox}"], 1e-9)
	for _, a := range p.attrs {
		assert.Regexp(t, safeValue, a.Value.String(), "attribute %s", a.Key)
	}
}

func TestSpansOfAScriptedRun(t *testing.T) {
	s := newSDK(t)
	script(s)
	var ops []sdktrace.ReadOnlySpan
	children := map[trace.SpanID][]string{}
	for _, sp := range s.spans.Ended() {
		if sp.InstrumentationScope().Name == otelverify.ScopeName {
			ops = append(ops, sp)
		} else {
			children[sp.Parent().SpanID()] = append(children[sp.Parent().SpanID()], sp.Name())
		}
	}
	require.Len(t, ops, 15, "one span per Send and Check")
	names := map[string]int{}
	calls := 0
	for _, sp := range ops {
		names[sp.Name()]++
		assert.Equal(t, trace.SpanKindInternal, sp.SpanKind())
		calls += len(children[sp.SpanContext().SpanID()])
		for _, a := range sp.Attributes() {
			assert.Regexp(t, safeValue, a.Value.String(), "%s: attribute %s", sp.Name(), a.Key)
		}
		for _, ev := range sp.Events() {
			for _, a := range ev.Attributes {
				assert.Regexp(t, safeValue, a.Value.String(), "%s: event %s: attribute %s", sp.Name(), ev.Name, a.Key)
			}
		}
		assert.NotContains(t, sp.Status().Description, "4917012345678")
	}
	assert.Equal(t, map[string]int{otelverify.SpanSend: 7, otelverify.SpanCheck: 8}, names)
	assert.Equal(t, 11, calls, "every provider call's HTTP span is a child of its operation's span")

	attrs := func(sp sdktrace.ReadOnlySpan) map[string]string {
		m := map[string]string{}
		for _, a := range sp.Attributes() {
			m[strings.TrimPrefix(string(a.Key), "otpkit.")] = a.Value.String()
		}
		return m
	}
	s1 := ops[0]
	assert.Equal(t, map[string]string{"provider": "dotdigital", "channel": "sms", "region": "DE", "outcome": "sent"}, attrs(s1))
	assert.Equal(t, codes.Unset, s1.Status().Code)
	require.Len(t, s1.Events(), 1)
	assert.Equal(t, "otpkit.failover", s1.Events()[0].Name)
	assert.Equal(t, []attribute.KeyValue{attribute.String("otpkit.provider", "tryvox")}, s1.Events()[0].Attributes)

	require.Len(t, ops[2].Events(), 1)
	assert.Equal(t, "otpkit.monitored_refusal", ops[2].Events()[0].Name)
	assert.Equal(t, map[string]string{"channel": "sms", "region": "DE", "outcome": "refused", "rule": "recipient_sends"}, attrs(ops[3]))
	assert.Equal(t, codes.Unset, ops[3].Status().Code, "a refusal is the rules working, not an error")
	assert.Equal(t, codes.Error, ops[4].Status().Code)
	assert.Equal(t, "verify: no provider could send", ops[4].Status().Description)
	assert.Equal(t, codes.Error, ops[5].Status().Code)
	assert.Equal(t, "otpkit.store_error", ops[5].Events()[0].Name)
	assert.Equal(t, map[string]string{"provider": "other", "channel": "other", "region": "other", "outcome": "sent"}, attrs(ops[6]))
	assert.Equal(t, map[string]string{"provider": "dotdigital", "outcome": "verified"}, attrs(ops[8]),
		"a Check's span: the spec's provider and outcome, not the counter's channel and region")
	assert.Equal(t, map[string]string{"provider": "tryvox", "outcome": "refused", "rule": "failures"}, attrs(ops[12]))
	assert.Equal(t, codes.Error, ops[13].Status().Code)
	assert.Equal(t, errUnavailable.Error(), ops[13].Status().Description)
	for i, sp := range ops {
		if i != 4 && i != 5 && i != 13 && i != 14 {
			assert.Equal(t, codes.Unset, sp.Status().Code, "%d %s %v", i, sp.Name(), attrs(sp))
		}
	}
}

func TestGlobalProvidersByDefault(t *testing.T) {
	mp0, tp0 := otel.GetMeterProvider(), otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetMeterProvider(mp0); otel.SetTracerProvider(tp0) })
	obs := otelverify.New(nil, nil).(verify.SpanObserver)

	// Set after New: the global providers hand over to them.
	s := newSDK(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	otel.SetMeterProvider(mp)
	otel.SetTracerProvider(s.tp)
	ctx := obs.Start(context.Background(), verify.OpCheck)
	e := verify.Event{Kind: verify.EventVerified, Op: verify.OpCheck, Provider: tv, Latency: ms}
	obs.Observe(ctx, e)
	obs.End(ctx, e)
	p := collect(t, reader)
	assert.Equal(t, 1.0, p.values["otpkit.verify.checks{outcome=verified,provider=tryvox}"])
	require.Len(t, s.spans.Ended(), 1)
	assert.Equal(t, otelverify.SpanCheck, s.spans.Ended()[0].Name())
}

func TestObserverWithoutRecordingSpans(t *testing.T) {
	s := newSDK(t)
	reader := sdkmetric.NewManualReader()
	obs := otelverify.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), noop.NewTracerProvider()).(verify.SpanObserver)
	ctx := obs.Start(context.Background(), verify.OpSend)
	e := verify.Event{Kind: verify.EventSendFailed, Op: verify.OpSend, Err: errStore}
	obs.Observe(ctx, verify.Event{Kind: verify.EventFailover, Op: verify.OpSend, Provider: dd, Latency: ms})
	obs.Observe(ctx, e)
	obs.End(ctx, e)
	assert.Equal(t, 1.0, collect(t, reader).values["otpkit.verify.sends{outcome=failed}"])
	assert.Empty(t, s.spans.Ended())
}
