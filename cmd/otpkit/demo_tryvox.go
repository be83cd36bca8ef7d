package main

import (
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

func (d *demo) tryvoxStart() (*otpkit.Verification, string, error) {
	v, err := d.cl.StartVerification(d.ctx, &otpkit.StartVerificationRequest{
		To: demoTryvoxPhone, Channel: otpkit.ChannelSMS, AppName: "otpkit demo"})
	if err != nil {
		return nil, "", fmt.Errorf("tryvox start: %w", err)
	}
	d.say("start", "StartVerification(%s, sms): %s %s, expires %s", demoTryvoxPhone, v.ID, v.Status, v.ExpiresAt.Format(time.TimeOnly))
	code, err := d.received(demoTryvoxPhone)
	if err != nil {
		return nil, "", err
	}
	d.say("user", "received %s", mask(code))
	return v, code, nil
}

func (d *demo) tryvoxApprove() error {
	d.section("Tryvox: a wrong code, then the right one")
	v, code, err := d.tryvoxStart()
	if err != nil {
		return err
	}
	wrong := wrongCode(code)
	_, err = d.cl.CheckCode(d.ctx, v.ID, wrong)
	if err := expectErr(err, otpkit.ErrInvalidCode); err != nil {
		return fmt.Errorf("tryvox wrong code: %w", err)
	}
	d.say("check", "%s: %s", mask(wrong), describe(err))
	st, err := d.cl.GetStatus(d.ctx, v.ID)
	if err != nil {
		return fmt.Errorf("tryvox status: %w", err)
	}
	d.say("status", "%s, %d of %d attempts used, %d left", st.Status, st.Attempts, st.MaxAttempts, st.RemainingAttempts())
	ok, err := d.cl.CheckCode(d.ctx, v.ID, code)
	if err != nil {
		return fmt.Errorf("tryvox right code: %w", err)
	}
	if ok.Status != otpkit.VerificationApproved {
		return fmt.Errorf("tryvox right code: status %s, want approved", ok.Status)
	}
	d.say("check", "%s: %s", mask(code), ok.Status)
	return nil
}

func (d *demo) tryvoxLockout() error {
	d.section("Tryvox: lock-out after 5 wrong codes")
	v, code, err := d.tryvoxStart()
	if err != nil {
		return err
	}
	wrong := wrongCode(code)
	for i := 1; i <= 5; i++ {
		_, err := d.cl.CheckCode(d.ctx, v.ID, wrong)
		want := otpkit.ErrInvalidCode
		if i == 5 {
			want = otpkit.ErrMaxAttempts
		}
		if err := expectErr(err, want); err != nil {
			return fmt.Errorf("tryvox wrong code %d: %w", i, err)
		}
		d.say(fmt.Sprintf("check %d", i), "%s: %s", mask(wrong), describe(err))
	}
	_, err = d.cl.CheckCode(d.ctx, v.ID, code)
	if err := expectErr(err, otpkit.ErrMaxAttempts); err != nil {
		return fmt.Errorf("tryvox right code after lock-out: %w", err)
	}
	d.say("check", "even the right code %s: %s", mask(code), describe(err))
	st, err := d.cl.GetStatus(d.ctx, v.ID)
	if err != nil {
		return fmt.Errorf("tryvox status: %w", err)
	}
	if st.Status != otpkit.VerificationFailed {
		return fmt.Errorf("tryvox after lock-out: status %s, want failed", st.Status)
	}
	d.say("status", "%s, %d of %d attempts used", st.Status, st.Attempts, st.MaxAttempts)
	return nil
}

func (d *demo) tryvoxExpiry() error {
	d.section("Tryvox: expiry after 10 minutes")
	v, code, err := d.tryvoxStart()
	if err != nil {
		return err
	}
	d.srv.Advance(11 * time.Minute)
	d.say("clock", "+11m (mock Advance), now %s", d.srv.Now().Format(time.TimeOnly))
	st, err := d.cl.GetStatus(d.ctx, v.ID)
	if err != nil {
		return fmt.Errorf("tryvox status after expiry: %w", err)
	}
	if st.Status != otpkit.VerificationExpired {
		return fmt.Errorf("tryvox after 11 minutes: status %s, want expired", st.Status)
	}
	d.say("status", "%s", st.Status)
	_, err = d.cl.CheckCode(d.ctx, v.ID, code)
	if err := expectErr(err, otpkit.ErrNotFound); err != nil {
		return fmt.Errorf("tryvox check after expiry: %w", err)
	}
	d.say("check", "the right code %s, too late: %s", mask(code), describe(err))
	return nil
}

func (d *demo) tryvoxErrors() error {
	d.section("Tryvox: errors")
	// A write is never retried once it may have reached the provider: the
	// code may already be on its way, and a second start would send another.
	d.srv.InjectFault("POST /v1/verify/start", mock.Fault{Status: 503, Count: 1})
	before := len(d.srv.Requests())
	_, err := d.cl.StartVerification(d.ctx, &otpkit.StartVerificationRequest{To: demoTryvoxPhone, Channel: otpkit.ChannelSMS})
	if err := expectErr(err, otpkit.ErrServer); err != nil {
		return fmt.Errorf("tryvox start with a 503: %w", err)
	}
	d.say("start", "one 503 injected: %s, not retried (%d request)", describe(err), len(d.srv.Requests())-before)

	_, err = d.cl.CheckCode(d.ctx, "ver_0123456789abcdefghijklmn", "12ab")
	if err := expectErr(err, otpkit.ErrInvalidRequest); err != nil {
		return fmt.Errorf("tryvox check with letters: %w", err)
	}
	d.say("check", "code with letters: %s", describe(err))

	// Delivery failures are scripted per recipient and channel, as for LOX24.
	const unreachable = "+4917000000000"
	d.srv.SetOutcome(unreachable, otpkit.ChannelSMS, mock.OutcomeFailed)
	_, err = d.cl.StartVerification(d.ctx, &otpkit.StartVerificationRequest{To: unreachable, Channel: otpkit.ChannelSMS})
	if err := expectErr(err, otpkit.ErrDeliveryFailed); err != nil {
		return fmt.Errorf("tryvox start to an unreachable number: %w", err)
	}
	d.say("start", "to a number sms cannot reach: %s", describe(err))

	bad, err := otpkit.NewClient(otpkit.WithBaseURL(d.srv.URL), otpkit.WithTryvoxKey("tvx_sk_test_revoked", mock.TryvoxTenantID))
	if err != nil {
		return err
	}
	_, err = bad.GetStatus(d.ctx, "ver_0123456789abcdefghijklmn")
	if err := expectErr(err, otpkit.ErrUnauthorized); err != nil {
		return fmt.Errorf("tryvox with a revoked key: %w", err)
	}
	d.say("status", "with a revoked key: %s", describe(err))
	return nil
}
