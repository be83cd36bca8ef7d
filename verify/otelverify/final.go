package otelverify

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/otpkit/otpkit/verify"
)

// outcomes are the otpkit.outcome values of the Final kinds.
var outcomes = map[verify.EventKind]string{
	verify.EventSent:         "sent",
	verify.EventSendRefused:  "refused",
	verify.EventSendFailed:   "failed",
	verify.EventVerified:     "verified",
	verify.EventWrongCode:    "wrong",
	verify.EventLocked:       "locked",
	verify.EventExpired:      "expired",
	verify.EventCheckRefused: "refused",
	verify.EventCheckFailed:  "error",
}

// A Final event's attributes depend on its kind, provider, channel and
// region, sanitised: their indexes packed in one number (a finalCode),
// which is what final looks up on every operation; and on its rule, which
// only a refusal has.
type finalCode uint32

// packFinal is the finalCode of a kind and the indexes of a provider, a
// channel and a region (regionIndex: 10 bits).
func packFinal(kind verify.EventKind, p, c, r int) finalCode {
	return finalCode(kind) | finalCode(p)<<8 | finalCode(c)<<12 | finalCode(r)<<16
}

// unpack is what packFinal packed.
func (k finalCode) unpack() (kind verify.EventKind, p, c, r int) {
	return verify.EventKind(k & 0xff), int(k>>8) & 0xf, int(k>>12) & 0xf, int(k >> 16)
}

// finalKey is a finalCode with a rule (sanitised).
type finalKey struct {
	code finalCode
	rule string
}

// finalAttrs is what a Final event records.
type finalAttrs struct {
	send    bool                 // sends, else checks
	count   *series              // sends or checks: one per finalCode
	refusal *ruleAttrs           // for refusals, when the event is one
	span    []attribute.KeyValue // the span's attributes
	outcome string
	failed  bool // the span's status is Error
}

// final returns e's attributes, built once per combination.
func (o *observer) final(e verify.Event) *finalAttrs {
	code := packFinal(e.Kind, providerIndex(e.Provider), channelIndex(e.Channel), regionIndex(e.Region))
	if e.Rule == "" {
		return o.finals.get(code, o.buildFinal)
	}
	return o.ruled.get(finalKey{code, rule(e.Rule)}, o.buildRuled)
}

// buildFinal builds a finalCode's attributes and its count.
func (o *observer) buildFinal(k finalCode) *finalAttrs {
	f, counted := o.buildAttrs(finalKey{code: k})
	f.count = new(series)
	f.count.set(counted)
	return f
}

// buildRuled builds a finalKey's attributes. Its count is its finalCode's:
// the counters have no rule, and each of their series is counted once.
func (o *observer) buildRuled(key finalKey) *finalAttrs {
	f, _ := o.buildAttrs(key)
	f.count = o.finals.get(key.code, o.buildFinal).count
	return f
}

// buildAttrs builds a finalKey's attributes: the span's, and the counter's
// (counted).
func (o *observer) buildAttrs(key finalKey) (f *finalAttrs, counted []attribute.KeyValue) {
	kind, p, c, r := key.code.unpack()
	outcome := outcomes[kind]
	if outcome == "" {
		outcome = other
	}
	f = &finalAttrs{send: kind.Op() == verify.OpSend, outcome: outcome,
		failed: kind == verify.EventSendFailed || kind == verify.EventCheckFailed}
	// The counters: sends by provider, channel, region and outcome; checks
	// the same (the spec's provider and outcome, plus channel and region
	// when known, for conversion by channel or region).
	counted = kvs(nil, keyProvider.String(providers[p]), keyChannel.String(channels[c]),
		keyRegion.String(regionName(r)), keyOutcome.String(outcome))
	// The spans: a Send's the sends counter's; a Check's the spec's
	// provider and outcome only, since each attribute costs every sampled
	// Check (the SDK copies and checks it).
	f.span = counted
	if !f.send {
		f.span = kvs(nil, keyProvider.String(providers[p]), keyOutcome.String(outcome))
	}
	if kind == verify.EventSendRefused || kind == verify.EventCheckRefused {
		f.refusal = o.rule(verify.Rule(key.rule))
		f.span = kvs(f.span[:len(f.span):len(f.span)], keyRule.String(key.rule)) // a copy: counted stays
	}
	return f, counted
}

// ruleAttrs is what a refusal or a monitored refusal records.
type ruleAttrs struct {
	refused, monitored series
	event              []trace.EventOption
}

// rule returns r's attributes, built once per rule.
func (o *observer) rule(r verify.Rule) *ruleAttrs {
	return o.rules.get(rule(r), buildRule)
}

// buildRule builds a sanitised rule's attributes.
func buildRule(r string) *ruleAttrs {
	kv := kvs(nil, keyRule.String(r))
	a := &ruleAttrs{event: []trace.EventOption{trace.WithAttributes(kv...)}}
	a.refused.set(kv)
	a.monitored.set(kv)
	return a
}
