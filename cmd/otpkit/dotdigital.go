package main

import (
	"fmt"
	"io"
	"time"

	"github.com/otpkit/otpkit"
)

func (c *cli) dotdigitalSend(args []string) error {
	fs := c.newFlags("dotdigital send", "--to NUMBER [flags]", `
Send a 6-digit code by sms (dotdigital's Verify method, POST /webapi/verify).
Pass the requestId it prints to 'otpkit dotdigital validate'.

Example:
  otpkit dotdigital send --to 447700900123 --from Shop --valid-for 5m`)
	to := fs.String("to", "", "number in international digits (447700900123; a leading + is fine), or national with --country (required)")
	from := fs.String("from", "", "originator: 2-15 digits or 2-11 letters (default: the account's)")
	country := fs.String("country", "", "ISO 3166-1 alpha-3 country of a national --to, e.g. GBR")
	body := fs.String("body", "", "message text; must contain {{code}}, may contain {{validMinutes}}")
	validFor := fs.Duration("valid-for", 0, "how long the code stays valid, at most 24h (default 10m)")
	pf := fs.providerFlags()
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	if err := fs.required("to"); err != nil {
		return err
	}
	if *validFor < 0 {
		return usagef(fs.cmd, "--valid-for must be positive")
	}
	req := &otpkit.SendCodeRequest{To: *to, From: *from, CountryISOCode: *country, Body: *body}
	if *validFor > 0 {
		req.ValidUntil = time.Now().Add(*validFor)
	}
	cl, err := c.client(fs, pf, otpkit.ProviderDotdigital)
	if err != nil {
		return err
	}
	st, err := cl.SendCode(c.ctx, req)
	if err != nil {
		return err
	}
	return c.printCodeStatus(pf, st)
}

func (c *cli) dotdigitalValidate(args []string) error {
	fs := c.newFlags("dotdigital validate", "[flags]", `
Validate the code the user entered (PUT /WebApi/Verify/{requestId}/validate).
Exit status 0 means CodeVerified. CodeNotVerified (wrong code), CodeLocked (the 5th
wrong code) and CodeExpired print the status and exit 1, so that a script can write
'otpkit dotdigital validate "$ID" "$CODE" && login'. A requestId that is verified,
locked, expired or unknown is gone: the provider answers 204 and this exits 1.

Example:
  otpkit dotdigital validate 0f8fad5b-d9cb-469f-a165-70867728950e 123456`, "REQUEST_ID", "CODE")
	pf := fs.providerFlags()
	pos, err := fs.parse(c, args)
	if err != nil {
		return err
	}
	cl, err := c.client(fs, pf, otpkit.ProviderDotdigital)
	if err != nil {
		return err
	}
	st, err := cl.ValidateCode(c.ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	if err := c.printCodeStatus(pf, st); err != nil {
		return err
	}
	if st.Status != otpkit.CodeVerified {
		return fmt.Errorf("%s: the code was not verified: %s (%s)", fs.cmd, st.Status, codeStateHint(st.Status))
	}
	return nil
}

// codeStateHint says what a dotdigital status means for the next step.
func codeStateHint(s otpkit.CodeState) string {
	switch s {
	case otpkit.CodeNotVerified:
		return "wrong code; the user may try again"
	case otpkit.CodeLocked:
		return "too many wrong codes; the requestId is discarded, send a new code"
	case otpkit.CodeExpired:
		return "the code expired; the requestId is discarded, send a new code"
	}
	return "unknown status"
}

func (c *cli) printCodeStatus(pf *providerFlags, st *otpkit.CodeStatus) error {
	if pf.json {
		return c.printJSON(st)
	}
	printCodeStatus(c.stdout, st)
	return nil
}

// printCodeStatus writes the summary of a dotdigital code status.
func printCodeStatus(w io.Writer, st *otpkit.CodeStatus) {
	verified := ""
	if st.Verified != nil {
		verified = formatTime(*st.Verified)
	}
	printFields(w,
		"requestId", st.RequestID,
		"phone", st.PhoneNumber,
		"status", string(st.Status),
		"number", st.NumberStatus,
		"created", formatTime(st.Created),
		"verified", verified,
	)
}
