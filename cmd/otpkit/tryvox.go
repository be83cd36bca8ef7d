package main

import (
	"fmt"
	"io"

	"github.com/otpkit/otpkit"
)

func (c *cli) tryvoxStart(args []string) error {
	fs := c.newFlags("tryvox start", "--to RECIPIENT --channel CHANNEL [flags]", `
Send a code and start a Tryvox verification (POST /v1/verify/start). It expires
after 10 minutes and allows 5 checks; pass its id to 'otpkit tryvox check'.

Example:
  otpkit tryvox start --to +4917012345678 --channel sms --app-name Shop`)
	to := fs.String("to", "", "recipient: an E.164 number (+4917012345678), or an email address for --channel email (required)")
	channel := fs.String("channel", "", "sms, voice, whatsapp or email (required)")
	codeLength := fs.Int("code-length", 0, "code length, 4-8 digits (default 6)")
	locale := fs.String("locale", "", "language of the message (default en)")
	message := fs.String("message", "", "custom message text; must contain {{code}}")
	appName := fs.String("app-name", "", "application name shown in the default message")
	pf := fs.providerFlags()
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	if err := fs.required("to", "channel"); err != nil {
		return err
	}
	cl, err := c.client(fs, pf, otpkit.ProviderTryvox)
	if err != nil {
		return err
	}
	v, err := cl.StartVerification(c.ctx, &otpkit.StartVerificationRequest{To: *to, Channel: otpkit.Channel(*channel),
		CodeLength: *codeLength, Locale: *locale, CustomMessage: *message, AppName: *appName})
	if err != nil {
		return err
	}
	return c.printVerification(pf, v)
}

func (c *cli) tryvoxStatus(args []string) error {
	fs := c.newFlags("tryvox status", "[flags]", `
Show a Tryvox verification (GET /v1/verify/{id}): pending, approved, failed or
expired, and how many of its 5 checks were used.

Example:
  otpkit tryvox status ver_0123456789abcdefghijklmn`, "ID")
	pf := fs.providerFlags()
	pos, err := fs.parse(c, args)
	if err != nil {
		return err
	}
	cl, err := c.client(fs, pf, otpkit.ProviderTryvox)
	if err != nil {
		return err
	}
	v, err := cl.GetStatus(c.ctx, pos[0])
	if err != nil {
		return err
	}
	return c.printVerification(pf, v)
}

func (c *cli) tryvoxCheck(args []string) error {
	fs := c.newFlags("tryvox check", "[flags]", `
Check the code the user entered (POST /v1/verify/check). Exit status 0 means
approved. A wrong code exits 1 with the provider's error (VERIFICATION_FAILED);
the 5th wrong code and every check after it MAX_ATTEMPTS_EXCEEDED; an expired or
already approved verification NOT_FOUND. Each check spends one attempt.

Example:
  otpkit tryvox check ver_0123456789abcdefghijklmn 123456`, "ID", "CODE")
	pf := fs.providerFlags()
	pos, err := fs.parse(c, args)
	if err != nil {
		return err
	}
	cl, err := c.client(fs, pf, otpkit.ProviderTryvox)
	if err != nil {
		return err
	}
	v, err := cl.CheckCode(c.ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	return c.printVerification(pf, v)
}

func (c *cli) printVerification(pf *providerFlags, v *otpkit.Verification) error {
	if pf.json {
		return c.printJSON(v)
	}
	printVerification(c.stdout, v)
	return nil
}

// printVerification writes the summary of a Tryvox verification. The check
// and start answers carry fewer fields than status; absent ones are left out.
func printVerification(w io.Writer, v *otpkit.Verification) {
	attempts := ""
	if v.MaxAttempts > 0 {
		attempts = fmt.Sprintf("%d of %d used", v.Attempts, v.MaxAttempts)
	}
	printFields(w,
		"id", v.ID,
		"to", v.To,
		"channel", string(v.Channel),
		"status", string(v.Status),
		"attempts", attempts,
		"created", formatTime(v.CreatedAt),
		"expires", formatTime(v.ExpiresAt),
	)
}
