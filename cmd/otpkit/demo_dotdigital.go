package main

import (
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
)

func (d *demo) dotdigitalSend() (*otpkit.CodeStatus, string, error) {
	st, err := d.cl.SendCode(d.ctx, &otpkit.SendCodeRequest{To: demoDDPhone,
		Body: "Your otpkit demo code is {{code}}, valid {{validMinutes}} minutes"})
	if err != nil {
		return nil, "", fmt.Errorf("dotdigital send: %w", err)
	}
	d.say("send", "SendCode(%s): requestId %s, %s", demoDDPhone, st.RequestID, st.Status)
	code, err := d.received(demoDDPhone)
	if err != nil {
		return nil, "", err
	}
	d.say("user", "received %s", mask(code))
	return st, code, nil
}

func (d *demo) dotdigitalVerify() error {
	d.section("dotdigital: verify, then re-use the requestId")
	st, code, err := d.dotdigitalSend()
	if err != nil {
		return err
	}
	ok, err := d.cl.ValidateCode(d.ctx, st.RequestID, code)
	if err != nil {
		return fmt.Errorf("dotdigital validate: %w", err)
	}
	if ok.Status != otpkit.CodeVerified || ok.Verified == nil {
		return fmt.Errorf("dotdigital validate: status %s, want CodeVerified with a time", ok.Status)
	}
	d.say("validate", "%s: %s at %s", mask(code), ok.Status, ok.Verified.Format(time.TimeOnly))
	_, err = d.cl.ValidateCode(d.ctx, st.RequestID, code)
	if err := expectErr(err, otpkit.ErrNotFound); err != nil {
		return fmt.Errorf("dotdigital re-use: %w", err)
	}
	d.say("validate", "again (single use): %s", describe(err))
	return nil
}

func (d *demo) dotdigitalLockout() error {
	d.section("dotdigital: lock-out after 5 wrong codes")
	st, code, err := d.dotdigitalSend()
	if err != nil {
		return err
	}
	wrong := wrongCode(code)
	for i := 1; i <= 5; i++ {
		res, err := d.cl.ValidateCode(d.ctx, st.RequestID, wrong)
		if err != nil {
			return fmt.Errorf("dotdigital wrong code %d: %w", i, err)
		}
		want := otpkit.CodeNotVerified
		if i == 5 {
			want = otpkit.CodeLocked
		}
		if res.Status != want {
			return fmt.Errorf("dotdigital wrong code %d: status %s, want %s", i, res.Status, want)
		}
		d.say(fmt.Sprintf("validate %d", i), "%s: %s", mask(wrong), res.Status)
	}
	_, err = d.cl.ValidateCode(d.ctx, st.RequestID, code)
	if err := expectErr(err, otpkit.ErrNotFound); err != nil {
		return fmt.Errorf("dotdigital right code after lock-out: %w", err)
	}
	d.say("validate", "the right code %s, too late: %s", mask(code), describe(err))
	return nil
}

func (d *demo) dotdigitalExpiry() error {
	d.section("dotdigital: expiry after 10 minutes")
	st, code, err := d.dotdigitalSend()
	if err != nil {
		return err
	}
	d.srv.Advance(11 * time.Minute)
	d.say("clock", "+11m (mock Advance), now %s", d.srv.Now().Format(time.TimeOnly))
	res, err := d.cl.ValidateCode(d.ctx, st.RequestID, code)
	if err != nil {
		return fmt.Errorf("dotdigital validate after expiry: %w", err)
	}
	if res.Status != otpkit.CodeExpired {
		return fmt.Errorf("dotdigital after 11 minutes: status %s, want CodeExpired", res.Status)
	}
	d.say("validate", "%s: %s", mask(code), res.Status)
	_, err = d.cl.ValidateCode(d.ctx, st.RequestID, code)
	if err := expectErr(err, otpkit.ErrNotFound); err != nil {
		return fmt.Errorf("dotdigital validate after CodeExpired: %w", err)
	}
	d.say("validate", "again: %s", describe(err))
	return nil
}

func (d *demo) dotdigitalErrors() error {
	d.section("dotdigital: errors")
	_, err := d.cl.SendCode(d.ctx, &otpkit.SendCodeRequest{To: demoDDPhone, Body: "Your code is on its way"})
	if err := expectErr(err, otpkit.ErrInvalidRequest); err != nil {
		return fmt.Errorf("dotdigital body without {{code}}: %w", err)
	}
	d.say("send", "a body without {{code}}: %s", describe(err))
	_, err = d.cl.SendCode(d.ctx, &otpkit.SendCodeRequest{To: "12"})
	if err := expectErr(err, otpkit.ErrInvalidRequest); err != nil {
		return fmt.Errorf("dotdigital short number: %w", err)
	}
	d.say("send", "to 12: %s", describe(err))
	return nil
}
