package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// The Service sections' users, apart from the providers' own.
const (
	demoServicePhone = "+4917055500001"
	demoTimeoutPhone = "+4917055500002"
	demoBudgetPhone  = "+4917055500003"
)

// demoService is a Service over Tryvox then dotdigital (failover order) on
// a MemoryStore, with l. The Guard's clock is the mock's, so that the
// demo's clock jumps move both; the providers never see it. Every such
// Guard reports to d.counts.
func (d *demo) demoService(cl *otpkit.Client, l verify.Limits) (*verify.Service, error) {
	g, err := verify.NewGuard(verify.NewMemoryStore(), verify.WithLimits(l), verify.WithClock(d.srv.Now),
		verify.WithObserver(d.counts))
	if err != nil {
		return nil, err
	}
	return verify.New(g, verify.Tryvox(cl), verify.Dotdigital(cl))
}

// serviceSend sends a code to to and says where it went.
func (d *demo) serviceSend(svc *verify.Service, to string) (*verify.Sent, string, error) {
	sent, err := svc.Send(d.ctx, &verify.SendRequest{To: to, IP: "198.51.100.7"})
	if err != nil {
		return nil, "", err
	}
	for _, f := range sent.Failovers {
		d.say("failover", "%s", describeService(f))
	}
	d.say("send", "Send(%s): sent by %s over %s", to, sent.Provider, sent.Channel)
	code, ok := d.srv.CodeFor(sent.ProviderID)
	if !ok {
		return nil, "", fmt.Errorf("the mock sent no code for %s", sent.ProviderID)
	}
	d.say("user", "received %s", mask(code))
	return sent, code, nil
}

func (d *demo) serviceFailover() error {
	d.section("Service: failover from Tryvox to dotdigital after a scripted outage")
	svc, err := d.demoService(d.cl, verify.Limits{})
	if err != nil {
		return err
	}
	d.srv.InjectFault("POST /v1/verify/start", mock.Fault{Status: 503})
	d.say("script", "Tryvox start answers 503 once (mock InjectFault)")
	before := len(d.srv.Messages())
	sent, code, err := d.serviceSend(svc, demoServicePhone)
	if err != nil {
		return fmt.Errorf("service send: %w", err)
	}
	if sent.Provider != otpkit.ProviderDotdigital || len(sent.Failovers) != 1 {
		return fmt.Errorf("service send: sent by %s after %d failovers, want dotdigital after 1", sent.Provider, len(sent.Failovers))
	}
	if n := len(d.srv.Messages()) - before; n != 1 {
		return fmt.Errorf("service send: %d messages, want 1", n)
	}
	d.say("", "one message in the outbox: a 503 proves Tryvox sent nothing")
	if err := svc.Check(d.ctx, sent.Ref, code); err != nil {
		return fmt.Errorf("service check: %w", err)
	}
	d.say("check", "Check(ref, %s): verified by dotdigital", mask(code))
	err = svc.Check(d.ctx, sent.Ref, code)
	if err := expectErr(err, otpkit.ErrNotFound); err != nil {
		return fmt.Errorf("service check again: %w", err)
	}
	d.say("check", "again: %s", describeService(err))

	// A slow provider: the code went out, the answer did not come back in
	// time. Failing over now could send a second code.
	slow, err := d.srv.Client(otpkit.WithTimeout(100 * time.Millisecond))
	if err != nil {
		return err
	}
	svc, err = d.demoService(slow, verify.Limits{})
	if err != nil {
		return err
	}
	d.srv.InjectFault("POST /v1/verify/start", mock.Fault{AfterHandler: true, Delay: 5 * time.Second})
	d.say("script", "Tryvox sends, then holds its answer past the client's 100 ms timeout")
	before = len(d.srv.Messages())
	_, err = svc.Send(d.ctx, &verify.SendRequest{To: demoTimeoutPhone})
	if err := expectErr(err, otpkit.ErrUnavailable); err != nil || errors.Is(err, otpkit.ErrNotSent) {
		return fmt.Errorf("service send with a timeout: %v", err)
	}
	if n := len(d.srv.Messages()) - before; n != 1 {
		return fmt.Errorf("service send with a timeout: %d messages, want 1", n)
	}
	d.say("send", "%s: no failover, one message; the user's resend goes through the send rules", describeService(err))
	return nil
}

func (d *demo) serviceBudget() error {
	d.section("Service: one failure budget across providers (MaxFailures 3)")
	svc, err := d.demoService(d.cl, verify.Limits{MaxFailures: 3})
	if err != nil {
		return err
	}
	sent, code, err := d.serviceSend(svc, demoBudgetPhone)
	if err != nil {
		return fmt.Errorf("service send: %w", err)
	}
	for i := 0; i < 2; i++ {
		err = svc.Check(d.ctx, sent.Ref, wrongCode(code))
		if err := expectErr(err, otpkit.ErrInvalidCode); err != nil {
			return fmt.Errorf("service wrong code: %w", err)
		}
		d.say("check", "%s at %s: %s", mask(wrongCode(code)), sent.Provider, describeService(err))
	}

	d.srv.Advance(time.Minute) // past the send interval, on the Guard's clock
	d.srv.SetOutcome(demoBudgetPhone, otpkit.ChannelSMS, mock.OutcomeFailed)
	d.say("script", "+1m; Tryvox now fails sms to %s (mock SetOutcome)", demoBudgetPhone)
	sent, code, err = d.serviceSend(svc, demoBudgetPhone)
	if err != nil {
		return fmt.Errorf("service resend: %w", err)
	}
	if sent.Provider != otpkit.ProviderDotdigital {
		return fmt.Errorf("service resend: sent by %s, want dotdigital", sent.Provider)
	}
	err = svc.Check(d.ctx, sent.Ref, wrongCode(code))
	if err := expectErr(err, otpkit.ErrInvalidCode); err != nil {
		return fmt.Errorf("service wrong code: %w", err)
	}
	d.say("check", "%s at %s: %s (the 3rd wrong code in all)", mask(wrongCode(code)), sent.Provider, describeService(err))

	requests := len(d.srv.Requests())
	err = svc.Check(d.ctx, sent.Ref, code)
	var le *verify.LimitError
	if !errors.As(err, &le) || le.Rule != verify.RuleFailures {
		return fmt.Errorf("service check with the budget spent: %v, want RuleFailures", err)
	}
	d.say("check", "%s: %s", mask(code), describeService(err))
	d.srv.Advance(time.Minute)
	_, err = svc.Send(d.ctx, &verify.SendRequest{To: demoBudgetPhone})
	if !errors.As(err, &le) || le.Rule != verify.RuleFailures {
		return fmt.Errorf("service send with the budget spent: %v, want RuleFailures", err)
	}
	d.say("send", "+1m: %s", describeService(err))
	if n := len(d.srv.Requests()) - requests; n != 0 {
		return fmt.Errorf("the spent budget let %d requests through", n)
	}
	d.say("", "no provider was asked: a fresh code elsewhere does not reset the budget")
	return nil
}

// describeService names a Service error the way an app's UI handles it.
func describeService(err error) string {
	var le *verify.LimitError
	var ice *verify.InvalidCodeError
	switch {
	case errors.As(err, &le):
		return fmt.Sprintf("*verify.LimitError (rule %s, retry after %s)", le.Rule, le.RetryAfter.Round(time.Minute))
	case errors.As(err, &ice):
		return fmt.Sprintf("*verify.InvalidCodeError (%d attempts left)", ice.AttemptsLeft)
	case errors.Is(err, otpkit.ErrUnavailable):
		return "otpkit.ErrUnavailable, not otpkit.ErrNotSent (timed out after the request was written)"
	case errors.Is(err, otpkit.ErrInvalidCode):
		return "otpkit.ErrInvalidCode (the provider does not say how many attempts are left)"
	case errors.Is(err, otpkit.ErrNotFound):
		return "otpkit.ErrNotFound (expired, used or unknown: the ref is used up)"
	}
	return describe(err)
}
