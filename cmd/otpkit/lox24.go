package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/otpkit/otpkit"
)

func (c *cli) lox24Create(args []string) error {
	fs := c.newFlags("lox24 create", "--phone NUMBER [--route telegram,voice,sms] [flags]", `
Ask LOX24 to deliver a verify code (POST /verify_codes). The steps of --route are
tried in order; a step that fails falls back to the next. LOX24 generates the code
unless --code is given; it never checks codes, so keep the id and compare the code
from 'otpkit lox24 get ID --json' with what the user typed.

Example:
  otpkit lox24 create --phone +4917012345678 --route telegram,voice,sms --code-length 6 --lang EN`)
	phone := fs.String("phone", "", "recipient in international format, e.g. +4917012345678 (required)")
	code := fs.String("code", "", "the code to deliver, 4-8 digits (default: LOX24 generates one)")
	codeLength := fs.Int("code-length", 0, "length of a generated code, 4-8 (default 4)")
	lang := fs.String("lang", "", "language of the default texts: EN, DE, FR, ... (default DE)")
	payload := fs.String("payload", "", "free text stored with the code, at most 128 characters")
	deleteCode := fs.Bool("delete-code", false, "have LOX24 forget the code once delivery has finished")
	route := fs.String("route", "sms", "channels to try in order, comma-separated: telegram, voice, sms (sms only last)")
	var tgTimeout secondsValue
	fs.Var(&tgTimeout, "telegram-timeout", "how long the telegram step waits before falling back, 30-3600 `seconds` or a duration like 2m (default 30)")
	senderID := fs.String("sender-id", "", "sender shown on the voice and sms steps: a number or up to 11 letters")
	template := fs.String("template", "", "text of the voice and sms steps, at most 70 characters, must contain {{code}}")
	pf := fs.providerFlags()
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	if err := fs.required("phone", "route"); err != nil {
		return err
	}

	req := &otpkit.CreateVerifyCodeRequest{Phone: *phone, Code: *code, CodeLength: *codeLength,
		Lang: *lang, Payload: *payload, IsCodeDeleted: *deleteCode}
	var hasTelegram, hasVoiceOrSMS bool
	for _, ch := range strings.Split(*route, ",") {
		step := otpkit.RoutingStep{Channel: otpkit.Channel(strings.ToLower(strings.TrimSpace(ch)))}
		switch step.Channel {
		case otpkit.ChannelTelegram:
			hasTelegram = true
			step.TimeoutSec = int(tgTimeout)
		case otpkit.ChannelVoice, otpkit.ChannelSMS:
			hasVoiceOrSMS = true
			step.SenderID, step.Template = *senderID, *template
		}
		// Other names go through as typed: the client's validation names
		// the step and the rule, as LOX24 would.
		req.RoutingStrategy = append(req.RoutingStrategy, step)
	}
	// Per-step options without their step would be dropped silently.
	if tgTimeout != 0 && !hasTelegram {
		return usagef(fs.cmd, "--telegram-timeout needs a telegram step in --route")
	}
	if (*senderID != "" || *template != "") && !hasVoiceOrSMS {
		return usagef(fs.cmd, "--sender-id and --template need a voice or sms step in --route")
	}

	cl, err := c.client(fs, pf, otpkit.ProviderLOX24)
	if err != nil {
		return err
	}
	vc, err := cl.CreateVerifyCode(c.ctx, req)
	if err != nil {
		return err
	}
	if pf.json {
		return c.printJSON(vc)
	}
	printVerifyCode(c.stdout, vc)
	return nil
}

func (c *cli) lox24Get(args []string) error {
	fs := c.newFlags("lox24 get", "[flags]", `
Show one LOX24 verify code (GET /verify_codes/{id}): its status, the routing steps
tried, the channel that delivered it and the cost. The summary hides the code;
--json prints the API object, code included (null once LOX24 deleted it).

Example:
  otpkit lox24 get 8f1c7a52-3f4e-4f8e-9a57-1c2b3d4e5f60 --json`, "ID")
	pf := fs.providerFlags()
	pos, err := fs.parse(c, args)
	if err != nil {
		return err
	}
	cl, err := c.client(fs, pf, otpkit.ProviderLOX24)
	if err != nil {
		return err
	}
	vc, err := cl.GetVerifyCode(c.ctx, pos[0])
	if err != nil {
		return err
	}
	if pf.json {
		return c.printJSON(vc)
	}
	printVerifyCode(c.stdout, vc)
	return nil
}

func (c *cli) lox24List(args []string) error {
	fs := c.newFlags("lox24 list", "[--page N] [flags]", `
List LOX24 verify codes, newest first, 30 a page (GET /verify_codes). An empty page
means there are no more. --json prints the API's array.

Example:
  otpkit lox24 list --page 2`)
	page := fs.Int("page", 0, "1-based page number (default 1)")
	pf := fs.providerFlags()
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	if *page < 0 {
		return usagef(fs.cmd, "--page must be 1 or more")
	}
	cl, err := c.client(fs, pf, otpkit.ProviderLOX24)
	if err != nil {
		return err
	}
	list, err := cl.ListVerifyCodes(c.ctx, &otpkit.ListVerifyCodesOptions{Page: *page})
	if err != nil {
		return err
	}
	if pf.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "no verify codes on this page")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPHONE\tSTATUS\tDELIVERED\tCREATED")
	for _, vc := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", show(vc.ID), show(vc.Phone), show(vc.Status.String()),
			show(orDash(deref(vc.DeliveredChannel))), formatTime(vc.CreatedAt))
	}
	return tw.Flush()
}

// printVerifyCode writes the summary of a verify code; the code itself is
// hidden (see codeNote).
func printVerifyCode(w io.Writer, vc *otpkit.VerifyCode) {
	steps := make([]string, len(vc.RoutingStrategy))
	for i, s := range vc.RoutingStrategy {
		steps[i] = string(s.Channel)
	}
	printFields(w,
		"id", vc.ID,
		"phone", vc.Phone,
		"status", fmt.Sprintf("%s (%d)", vc.Status, int(vc.Status)),
		"route", strings.Join(steps, " → "),
		"delivered", deref(vc.DeliveredChannel),
		"cost", formatCost(vc.Cost, vc.Currency),
		"code", codeNote(vc.Code),
		"payload", deref(vc.Payload),
		"created", formatTime(vc.CreatedAt),
		"updated", formatTime(vc.UpdatedAt),
	)
	for _, h := range vc.History {
		fmt.Fprintf(w, "  step %-8s %-12s %s\n", show(string(h.Channel)), show(h.Status.String()), formatTime(h.ProcessedAt))
	}
}

// formatCost renders LOX24's cost in cents as "0.28 EUR".
func formatCost(cents *int, currency *string) string {
	if cents == nil {
		return ""
	}
	s := fmt.Sprintf("%d.%02d", *cents/100, *cents%100)
	if cur := deref(currency); cur != "" {
		s += " " + cur
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
