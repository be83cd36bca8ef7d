package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

// demoStart is the embedded mock's clock at the start of the demo. A fixed
// time keeps the transcript's timestamps the same from run to run.
var demoStart = time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)

// The demo's users. Each provider gets its own so that the mock's outbox
// never mixes their codes.
const (
	demoLOX24Phone  = "+4917012345678"
	demoTryvoxPhone = "+4917098765432"
	demoDDPhone     = "447700900123"
)

func (c *cli) demo(args []string) error {
	fs := c.newFlags("demo", "", `
Run every flow of the three providers against an embedded mock and print a
transcript: LOX24 delivery with telegram → voice → sms fallback, a code
comparison and the webhook events it sent to an app's endpoint; Tryvox
approval, lock-out and expiry; dotdigital verification, single use, lock-out
and expiry; the errors a client meets on the way; and the verify.Service
over them: failover after an outage and one failure budget across providers,
with what an observer of the Service counted (conversion per provider).
The mock's clock jumps, so the demo takes well under a second. Codes are
shown masked (12••), as they should be in any log.`)
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	hooks := startDemoHooks() // the app's webhook endpoint
	defer hooks.close()
	srv := mock.NewServer(mock.WithClock(demoStart), mock.WithLOX24Webhook(hooks.url()))
	defer srv.Close()
	// Short waits so the retried read in the demo costs milliseconds.
	cl, err := srv.Client(otpkit.WithRetryPolicy(otpkit.RetryPolicy{
		MaxRetries: 2, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond}))
	if err != nil {
		return fmt.Errorf("otpkit demo: %w", err)
	}
	d := &demo{ctx: c.ctx, w: c.stdout, srv: srv, cl: cl, hooks: hooks, counts: newDemoCounts()}
	fmt.Fprintf(d.w, "otpkit demo: every flow of LOX24, Tryvox and dotdigital against an embedded mock.\n"+
		"The mock's clock starts at %s and jumps; codes are masked.\n", demoStart.Format(time.RFC3339))
	for _, step := range []func() error{
		d.lox24Fallback, d.lox24Webhooks, d.lox24Errors,
		d.tryvoxApprove, d.tryvoxLockout, d.tryvoxExpiry, d.tryvoxErrors,
		d.dotdigitalVerify, d.dotdigitalLockout, d.dotdigitalExpiry, d.dotdigitalErrors,
		d.serviceFailover, d.serviceBudget, d.serviceCounts,
	} {
		if err := step(); err != nil {
			return fmt.Errorf("otpkit demo: %w", err)
		}
	}
	fmt.Fprintln(d.w, "\nAll flows behaved as documented.")
	return nil
}

// demo runs the flows against one embedded mock and writes the transcript.
// Each flow checks that the mock answered as docs/wire.md says and fails
// the demo when it did not.
type demo struct {
	ctx   context.Context
	w     io.Writer
	srv   *mock.Server
	cl    *otpkit.Client
	hooks *demoHooks
	// counts is the Observer of the Service sections' Guards.
	counts *demoCounts
}

func (d *demo) section(title string) { fmt.Fprintf(d.w, "\n== %s ==\n", title) }

// say writes one transcript line: a short tag, then what happened.
func (d *demo) say(tag, format string, args ...any) {
	fmt.Fprintf(d.w, "  %-10s %s\n", tag, fmt.Sprintf(format, args...))
}

// elapsed is the mock's time since the demo started, as "+31s".
func (d *demo) elapsed() string { return "+" + d.srv.Now().Sub(demoStart).String() }

// received is the code the mock delivered to recipient: what the user reads
// on their phone and types in.
func (d *demo) received(recipient string) (string, error) {
	if code, ok := d.srv.LastCode(recipient); ok {
		return code, nil
	}
	return "", fmt.Errorf("the mock delivered no code to %s", recipient)
}

// ---------------------------------------------------------------------------
// LOX24

func (d *demo) lox24Fallback() error {
	d.section("LOX24: delivery with fallback telegram → voice → sms")
	d.srv.SetOutcome(demoLOX24Phone, otpkit.ChannelTelegram, mock.OutcomeFailed)
	d.srv.SetOutcome(demoLOX24Phone, otpkit.ChannelVoice, mock.OutcomeFailed)
	d.say("script", "telegram and voice will fail for %s (mock SetOutcome)", demoLOX24Phone)

	vc, err := d.cl.CreateVerifyCode(d.ctx, &otpkit.CreateVerifyCodeRequest{
		Phone: demoLOX24Phone, CodeLength: 6, Lang: "EN", Payload: "signup #42",
		RoutingStrategy: []otpkit.RoutingStep{
			{Channel: otpkit.ChannelTelegram, TimeoutSec: 30},
			{Channel: otpkit.ChannelVoice},
			{Channel: otpkit.ChannelSMS},
		},
	})
	if err != nil {
		return fmt.Errorf("LOX24 create: %w", err)
	}
	d.say("create", "CreateVerifyCode(%s, 6 digits, telegram (30 s) → voice → sms)", demoLOX24Phone)
	d.say("", "id %s, status %s (%d)", vc.ID, vc.Status, int(vc.Status))

	// LOX24 works in the background: poll as an application would, while
	// the mock's clock moves a second at a time.
	last := fmt.Sprint(vc.Status, len(vc.History))
	for i := 0; i < 300 && !vc.Status.Terminal(); i++ {
		d.srv.Advance(time.Second)
		if vc, err = d.cl.GetVerifyCode(d.ctx, vc.ID); err != nil {
			return fmt.Errorf("LOX24 get: %w", err)
		}
		if now := fmt.Sprint(vc.Status, len(vc.History)); now != last {
			last = now
			d.say(d.elapsed(), "status %s (%d), steps tried: %s", vc.Status, int(vc.Status), historyLine(vc.History))
		}
	}
	if vc.Status != otpkit.VerifyCodeSuccess || deref(vc.DeliveredChannel) != string(otpkit.ChannelSMS) {
		return fmt.Errorf("LOX24: want success over sms after telegram and voice failed, got %s over %q", vc.Status, deref(vc.DeliveredChannel))
	}
	d.say("done", "delivered over %s, cost %s", deref(vc.DeliveredChannel), formatCost(vc.Cost, vc.Currency))
	for _, h := range vc.History {
		d.say("history", "%-8s %-8s at %s", h.Channel, h.Status, "+"+h.ProcessedAt.Sub(demoStart).String())
	}

	// LOX24 has no check call: the application compares what the user typed
	// with the code from GET, in constant time.
	typed, err := d.received(demoLOX24Phone)
	if err != nil {
		return err
	}
	d.say("user", "received %s by sms", mask(typed))
	wrong := wrongCode(typed)
	if vc.Matches(wrong) {
		return errors.New("LOX24: Matches accepted a wrong code")
	}
	d.say("compare", "VerifyCode.Matches(%s) = false (wrong input)", mask(wrong))
	if !vc.Matches(typed) {
		return errors.New("LOX24: Matches refused the delivered code")
	}
	d.say("compare", "VerifyCode.Matches(%s) = true (right input)", mask(typed))
	return nil
}

func (d *demo) lox24Errors() error {
	d.section("LOX24: errors")
	_, err := d.cl.CreateVerifyCode(d.ctx, &otpkit.CreateVerifyCodeRequest{Phone: demoLOX24Phone,
		RoutingStrategy: []otpkit.RoutingStep{{Channel: otpkit.ChannelSMS}, {Channel: otpkit.ChannelVoice}}})
	if err := expectErr(err, otpkit.ErrInvalidRequest); err != nil {
		return fmt.Errorf("LOX24 sms before voice: %w", err)
	}
	d.say("create", "route sms → voice: %s", describe(err))

	_, err = d.cl.GetVerifyCode(d.ctx, "00000000-0000-4000-8000-000000000000")
	if err := expectErr(err, otpkit.ErrNotFound); err != nil {
		return fmt.Errorf("LOX24 unknown id: %w", err)
	}
	d.say("get", "unknown id: %s", describe(err))

	// A read is retried on 503; the caller never sees the fault.
	d.srv.InjectFault("GET /verify_codes", mock.Fault{Status: 503, Count: 1})
	before := len(d.srv.Requests())
	list, err := d.cl.ListVerifyCodes(d.ctx, nil)
	if err != nil {
		return fmt.Errorf("LOX24 list after one 503: %w", err)
	}
	d.say("list", "one 503 injected (mock InjectFault): retried, %d verify code(s), %d requests", len(list), len(d.srv.Requests())-before)
	return nil
}

// historyLine renders the routing steps tried so far.
func historyLine(hs []otpkit.HistoryEntry) string {
	if len(hs) == 0 {
		return "none yet"
	}
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s %s", h.Channel, h.Status)
	}
	return strings.Join(parts, ", ")
}
