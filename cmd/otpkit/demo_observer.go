package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// demoCounts is the demo's Observer: it counts, per provider, what an app's
// dashboard would show from OpenTelemetry's otpkit.verify.* metrics (package
// otelverify), without OpenTelemetry: codes sent, sends that failed at the
// provider, failovers from it, verified codes, and refusals by rule.
type demoCounts struct {
	mu        sync.Mutex
	providers map[otpkit.Provider]*providerCounts
	refusals  map[verify.Rule]int
}

// providerCounts are one provider's counts.
type providerCounts struct{ sent, failed, failovers, verified int }

func newDemoCounts() *demoCounts {
	return &demoCounts{providers: map[otpkit.Provider]*providerCounts{}, refusals: map[verify.Rule]int{}}
}

// Observe counts e.
func (c *demoCounts) Observe(_ context.Context, e verify.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.providers[e.Provider]
	if p == nil && e.Provider != "" {
		p = &providerCounts{}
		c.providers[e.Provider] = p
	}
	switch e.Kind {
	case verify.EventSent:
		p.sent++
	case verify.EventSendFailed:
		if p != nil { // ended at this provider, the code maybe on its way
			p.failed++
		}
	case verify.EventFailover:
		p.failovers++
	case verify.EventVerified:
		p.verified++
	case verify.EventSendRefused, verify.EventCheckRefused:
		c.refusals[e.Rule]++
	}
}

// table is what was counted: a line per provider with its conversion
// (verified ÷ sent), then the refusals by rule.
func (c *demoCounts) table() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]otpkit.Provider, 0, len(c.providers))
	for p := range c.providers {
		names = append(names, p)
	}
	slices.Sort(names)
	lines := []string{fmt.Sprintf("%-11s %5s %7s %10s %9s %11s", "provider", "sent", "failed", "failovers", "verified", "conversion")}
	for _, name := range names {
		p := c.providers[name]
		conv := "-"
		if p.sent > 0 {
			conv = fmt.Sprintf("%.0f %%", 100*float64(p.verified)/float64(p.sent))
		}
		lines = append(lines, fmt.Sprintf("%-11s %5d %7d %10d %9d %11s", name, p.sent, p.failed, p.failovers, p.verified, conv))
	}
	var rules []string
	for r, n := range c.refusals {
		rules = append(rules, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(rules)
	if len(rules) == 0 {
		rules = []string{"none"}
	}
	return append(lines, "refusals by rule: "+strings.Join(rules, ", "))
}

// serviceCounts ends the demo's Service sections with what their observer
// counted.
func (d *demo) serviceCounts() error {
	d.section("Service: what an observer counted (verify.WithObserver)")
	for _, line := range d.counts.table() {
		d.say("", "%s", line)
	}
	d.say("", "conversion = verified ÷ sent; in production otelverify exports these as otpkit.verify.* metrics")
	return nil
}
