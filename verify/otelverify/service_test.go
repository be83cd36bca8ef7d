package otelverify_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify/internal/observetest"
	"github.com/otpkit/otpkit/verify/otelverify"
)

// The Service's scripted run (verify/internal/observetest: sends on three
// providers, a failover, wrong and right codes, a refusal by recipient_sends
// and by the failure budget, a failed send and check) through the
// OpenTelemetry SDK: every count exact, one span per Send and Check with
// the provider's HTTP calls as its children, and no attribute anywhere
// holding a number, a code, an IP or a ref.
func TestServiceRunMetricsAndSpansAreExact(t *testing.T) {
	s := newSDK(t)
	run := observetest.Script(t, s.obs,
		otpkit.WithHTTPClient(&http.Client{Transport: tracingTransport{s.tp.Tracer("http"), http.DefaultTransport}}))
	require.Equal(t, 7, run.Sends)
	require.Equal(t, 11, run.Checks)

	p := collect(t, s.reader)
	assert.Equal(t, map[string]float64{
		// One per Send: 7. The Service reads the number's region.
		"otpkit.verify.sends{channel=sms,outcome=sent,provider=tryvox,region=DE}":     2, // A, D
		"otpkit.verify.sends{channel=sms,outcome=sent,provider=dotdigital,region=DE}": 1, // B, after the failover
		"otpkit.verify.sends{channel=telegram,outcome=sent,provider=lox24,region=DE}": 1, // C
		"otpkit.verify.sends{channel=sms,outcome=refused,region=DE}":                  2, // A again, D again: no provider
		"otpkit.verify.sends{channel=sms,outcome=failed}":                             1, // "+49": no region
		// One per Check: 11, with the ref's provider, channel and region once the ref is read.
		"otpkit.verify.checks{channel=sms,outcome=wrong,provider=tryvox,region=DE}":        4, // A once, D three times
		"otpkit.verify.checks{channel=sms,outcome=verified,provider=tryvox,region=DE}":     1, // A
		"otpkit.verify.checks{channel=sms,outcome=verified,provider=dotdigital,region=DE}": 1, // B
		"otpkit.verify.checks{outcome=expired}":                                            1, // B again: the ref is used up
		"otpkit.verify.checks{channel=telegram,outcome=wrong,provider=lox24,region=DE}":    1, // C
		"otpkit.verify.checks{channel=telegram,outcome=verified,provider=lox24,region=DE}": 1, // C
		"otpkit.verify.checks{channel=sms,outcome=refused,provider=tryvox,region=DE}":      1, // D, budget spent
		"otpkit.verify.checks{outcome=error}":                                              1, // D "12ab"
		"otpkit.verify.refusals{rule=recipient_sends}":                                     1,
		"otpkit.verify.refusals{rule=failures}":                                            2, // D's check and D's send
		"otpkit.verify.failovers{provider=tryvox}":                                         1,
		// One per provider call: LOX24's checks are the Guard's (no call).
		"otpkit.provider.duration{operation=send,provider=tryvox}":      3, // A, B (503), D
		"otpkit.provider.duration{operation=send,provider=dotdigital}":  1,
		"otpkit.provider.duration{operation=send,provider=lox24}":       1,
		"otpkit.provider.duration{operation=check,provider=tryvox}":     5, // A twice, D three times
		"otpkit.provider.duration{operation=check,provider=dotdigital}": 1,
	}, p.values)
	for k, sum := range p.sums {
		assert.Positive(t, sum, "%s: the calls took time", k)
	}

	// Spans: one per operation, the HTTP calls their children.
	var ops []sdktrace.ReadOnlySpan
	var httpSpans []sdktrace.ReadOnlySpan
	for _, sp := range s.spans.Ended() {
		if sp.InstrumentationScope().Name == otelverify.ScopeName {
			ops = append(ops, sp)
		} else {
			httpSpans = append(httpSpans, sp)
		}
	}
	names := map[string]int{}
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, sp := range ops {
		names[sp.Name()]++
		byID[sp.SpanContext().SpanID()] = sp
		assert.False(t, sp.Parent().IsValid(), "%s is a root span here", sp.Name())
	}
	assert.Equal(t, map[string]int{otelverify.SpanSend: run.Sends, otelverify.SpanCheck: run.Checks}, names)
	// Sends: A, B's two (Tryvox's 503, dotdigital), C, D; checks: A's two,
	// B's first, D's three wrong codes. Refusals, failures, LOX24's checks
	// and B's used-up ref reach no provider.
	require.Len(t, httpSpans, 5+6)
	calls := map[string]int{}
	for _, h := range httpSpans {
		parent, ok := byID[h.Parent().SpanID()]
		require.True(t, ok, "HTTP span %s has its operation's span as parent", h.Name())
		assert.Equal(t, parent.SpanContext().TraceID(), h.SpanContext().TraceID())
		calls[parent.Name()]++
	}
	assert.Equal(t, map[string]int{otelverify.SpanSend: 5, otelverify.SpanCheck: 6}, calls)

	outcomes := map[string]int{}
	failovers, failed := 0, 0
	for _, sp := range ops {
		a := spanAttrs(sp)
		outcomes[sp.Name()+" "+a["outcome"]]++
		if sp.Status().Code == codes.Error {
			failed++
		}
		for _, ev := range sp.Events() {
			if ev.Name == "otpkit.failover" {
				failovers++
				assert.Equal(t, []attribute.KeyValue{attribute.String("otpkit.provider", "tryvox")}, ev.Attributes)
				assert.Equal(t, map[string]string{"provider": "dotdigital", "channel": "sms", "region": "DE", "outcome": "sent"}, a)
			}
		}
		if a["outcome"] == "refused" {
			assert.Contains(t, []string{"recipient_sends", "failures"}, a["rule"])
		}
	}
	assert.Equal(t, map[string]int{
		"verify.Send sent": 4, "verify.Send refused": 2, "verify.Send failed": 1,
		"verify.Check wrong": 5, "verify.Check verified": 3, "verify.Check expired": 1,
		"verify.Check refused": 1, "verify.Check error": 1,
	}, outcomes)
	assert.Equal(t, 1, failovers)
	assert.Equal(t, 2, failed, "the failed send and the failed check; refusals and wrong codes are no errors")

	// Nothing of the run's people, codes or refs anywhere.
	var texts []string
	for _, a := range p.attrs {
		assert.Regexp(t, safeValue, a.Value.String(), "metric attribute %s", a.Key)
		texts = append(texts, a.Value.String())
	}
	for _, sp := range s.spans.Ended() {
		texts = append(texts, sp.Name(), sp.Status().Description)
		for _, a := range sp.Attributes() {
			if sp.InstrumentationScope().Name == otelverify.ScopeName {
				assert.Regexp(t, safeValue, a.Value.String(), "%s: attribute %s", sp.Name(), a.Key)
			}
			texts = append(texts, a.Value.String())
		}
		for _, ev := range sp.Events() {
			texts = append(texts, ev.Name)
			for _, a := range ev.Attributes {
				assert.Regexp(t, safeValue, a.Value.String(), "%s: event %s: attribute %s", sp.Name(), ev.Name, a.Key)
				texts = append(texts, a.Value.String())
			}
		}
	}
	require.NotEmpty(t, texts)
	assert.Empty(t, run.Leaks(strings.Join(texts, "\n")))
}

// spanAttrs are a span's attributes by key without "otpkit.".
func spanAttrs(sp sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, a := range sp.Attributes() {
		m[strings.TrimPrefix(string(a.Key), "otpkit.")] = a.Value.String()
	}
	return m
}
