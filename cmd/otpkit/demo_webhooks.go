package main

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit"
)

// demoHookToken is the token of the demo app's webhook URL.
const demoHookToken = "demo-webhook-token"

// demoHooks is the demo's app endpoint for LOX24 webhooks: an httptest
// server running otpkit.NewLOX24WebhookHandler. To show a retry, the app
// fails the first delivery of each verify_code.success event.
type demoHooks struct {
	srv *httptest.Server

	mu       sync.Mutex
	handled  []*otpkit.LOX24Event
	failures int
	failed   map[string]bool
}

func startDemoHooks() *demoHooks {
	h := &demoHooks{failed: map[string]bool{}}
	h.srv = httptest.NewServer(otpkit.NewLOX24WebhookHandler(h.handle, otpkit.WithWebhookToken(demoHookToken)))
	return h
}

func (h *demoHooks) url() string { return h.srv.URL + "/hooks/lox24?token=" + demoHookToken }

func (h *demoHooks) close() { h.srv.Close() }

func (h *demoHooks) handle(_ context.Context, ev *otpkit.LOX24Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ev.Name == otpkit.EventVerifyCodeSuccess && !h.failed[ev.ID] {
		h.failed[ev.ID] = true
		h.failures++
		return errors.New("the app's database is busy")
	}
	h.handled = append(h.handled, ev)
	return nil
}

func (h *demoHooks) events() []*otpkit.LOX24Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*otpkit.LOX24Event(nil), h.handled...)
}

// lox24Webhooks shows the events the mock sent while the fallback flow
// ran, as the app's endpoint handled them, and the delivery log with the
// retry of the event the app failed once.
func (d *demo) lox24Webhooks() error {
	d.section("LOX24: webhook events of that verify code")
	d.say("endpoint", "NewLOX24WebhookHandler behind a token; the mock sends to it (mock WithLOX24Webhook)")
	d.say("script", "the app fails the first delivery of verify_code.success (answers 500)")
	d.srv.Advance(time.Minute) // the retry falls due
	evs := d.hooks.events()
	var names []string
	for _, ev := range evs {
		line := fmt.Sprintf("%-28s status %s", ev.Name, ev.VerifyCode.Status)
		if c := ev.Channel; c != nil {
			line += fmt.Sprintf(", %s %s", c.Channel, c.Status)
			if c.ErrorMessage != nil {
				line += " (" + *c.ErrorMessage + ")"
			}
		}
		if ev.AttemptNumber > 1 {
			line += fmt.Sprintf(", attempt %d", ev.AttemptNumber)
		}
		d.say("+"+ev.CreatedAt.Sub(demoStart).String(), "%s", line)
		names = append(names, strings.TrimPrefix(ev.Name, "verify_code."))
	}
	want := "channel.updated channel.sent channel.failed channel.sent channel.failed channel.sent channel.success success"
	if got := strings.Join(names, " "); got != want {
		return fmt.Errorf("LOX24 webhooks: want events %s, got %s", want, got)
	}
	var answers []string
	ids := map[string]bool{}
	for _, w := range d.srv.Webhooks() {
		if w.Name == otpkit.EventVerifyCodeSuccess {
			answers = append(answers, fmt.Sprintf("attempt %d at +%s: %d", w.Attempt, w.Time.Sub(demoStart), w.Status))
			ids[w.EventID] = true
		}
	}
	if len(answers) != 2 || len(ids) != 1 {
		return fmt.Errorf("LOX24 webhooks: want 2 deliveries of one verify_code.success event, got %d of %d", len(answers), len(ids))
	}
	d.say("log", "verify_code.success: %s (mock Webhooks)", strings.Join(answers, "; "))
	d.say("done", "%d events handled once each; the retry had the same event id", len(evs))
	return nil
}
