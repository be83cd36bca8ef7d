package main

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/verify"
)

func TestNumberCommand(t *testing.T) {
	cases := []struct {
		args              []string
		e164, region, typ string
		sms, voice        string // "" allowed, else the rule
	}{
		{[]string{"0170 1234567", "--region", "DE"}, "+491701234567", "DE", "mobile", "", ""},
		{[]string{"--region", "de", "(030) 123456"}, "+4930123456", "DE", "fixed_line", "number_type", ""},
		{[]string{"+49 900 1 234567"}, "+499001234567", "DE", "premium_rate", "number_type", "number_type"},
		{[]string{"0044 7400 123456"}, "+447400123456", "GB", "mobile", "", ""},
		{[]string{"+1 (201) 555-0123", "--region", "FR"}, "+12015550123", "US", "fixed_line_or_mobile", "", ""},
		{[]string{"--", "+800 1234 5678"}, "+80012345678", "001", "toll_free", "", ""},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, append([]string{"number", "--json"}, tc.args...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			var got numberReport
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			assert.Equal(t, tc.e164, got.E164)
			assert.Equal(t, tc.region, got.Region)
			assert.Equal(t, tc.typ, got.Type.String())
			verdict := func(rule string) sendVerdict { return sendVerdict{Allowed: rule == "", Rule: verify.Rule(rule)} }
			assert.Equal(t, map[string]sendVerdict{"sms": verdict(tc.sms), "voice": verdict(tc.voice)}, got.Sends)

			// The summary says the same in words.
			r = runCLI(t, nil, append([]string{"number"}, tc.args...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Regexp(t, `(?m)^number +`+regexp.QuoteMeta(tc.e164)+`$`, r.stdout)
			assert.Regexp(t, `(?m)^region +`+tc.region+`\b`, r.stdout)
			assert.Regexp(t, `(?m)^type +`+tc.typ+`$`, r.stdout)
			for ch, rule := range map[string]string{"sms": tc.sms, "voice": tc.voice} {
				if rule == "" {
					assert.Regexp(t, `(?m)^`+ch+` +allowed by the default policy$`, r.stdout)
				} else {
					assert.Regexp(t, `(?m)^`+ch+` +refused by the default policy: rule `+rule+` \(.+\)$`, r.stdout)
				}
			}
		})
	}
}

func TestNumberCommandUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"number"}, "want 1 argument(s), NUMBER; got 0"},
		{[]string{"number", "+4917012345678", "+4917012345679"}, "got 2"},
		{[]string{"number", "0170 1234567"}, "NUMBER is national"},
		{[]string{"number", "+49 170 1234567", "--region", "Germany"}, "--region is not a region"},
		{[]string{"number", "+1 555 0100 999"}, "NUMBER is not a number in its country's numbering plan"},
		{[]string{"number", "+49 170 12345678901234"}, "NUMBER is too long"},
		{[]string{"number", "tel:+4917012345678"}, "NUMBER may hold only digits"},
		{[]string{"number", "--region"}, "flag needs an argument: --region"},
		{[]string{"policy", "extra"}, `unexpected argument "extra"`},
		{[]string{"policy", "--json"}, "flag provided but not defined: --json"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Contains(t, r.stderr, "Run 'otpkit "+tc.args[0]+" --help' for usage.")
			assert.Empty(t, r.stdout)
			if len(tc.args) > 1 {
				digits := regexp.MustCompile(`[0-9]{6,}`).FindString(strings.Join(strings.Fields(tc.args[1]), ""))
				if digits != "" {
					assert.NotContains(t, r.stderr, digits, "the number is not echoed")
				}
			}
		})
	}
}

func TestPolicyCommand(t *testing.T) {
	r := runCLI(t, nil, "policy")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	g, err := verify.NewGuard(verify.NewMemoryStore())
	require.NoError(t, err)
	l := g.Limits()

	// Every field of Limits, in order, each with a reason under it.
	var names []string
	for f := range reflect.TypeFor[verify.Limits]().Fields() {
		names = append(names, f.Name)
	}
	var shown []string
	for _, m := range regexp.MustCompile(`(?m)^([A-Za-z]+): .+\n    \S.+$`).FindAllStringSubmatch(r.stdout, -1) {
		shown = append(shown, m[1])
	}
	assert.Equal(t, names, shown, "otpkit policy shows every field of verify.Limits")

	// The values are the Guard's defaults.
	for _, want := range []string{
		"CodeLength: " + strconv.Itoa(l.CodeLength) + " digits",
		"CodeTTL: 10m\n",
		"MaxAttempts: " + strconv.Itoa(l.MaxAttempts) + " checks per code",
		"MaxFailures: " + strconv.Itoa(l.MaxFailures) + " wrong codes per recipient  [rule failures]",
		"FailureWindow: 24h  [rule failures]",
		"SendInterval: off  [rule send_interval]",
		"RecipientSends: " + strconv.Itoa(l.RecipientSends.Count) + " per 1h  [rule recipient_sends]",
		"IPSends: " + strconv.Itoa(l.IPSends.Count) + " per 1h  [rule ip_sends]",
		"PrefixSends: " + strconv.Itoa(l.PrefixSends.Count) + " per 1h  [rule prefix_sends]",
		"PrefixDigits: " + strconv.Itoa(l.PrefixDigits) + " digits\n",
		"Countries: all regions  [rule country]",
		"BlockedCountries: none  [rule country]",
		"NumberTypes: refused on every channel: premium_rate, shared_cost, uan; on sms: fixed_line; on whatsapp: fixed_line  [rule number_type]",
		"SafeList: none\n",
		"Monitor: off",
		"ConversionWindow: 1h  [rule conversion]",
		"ConversionMinPrefixSends: " + strconv.Itoa(l.ConversionMinPrefixSends) + " sends  [rule conversion]",
		"ConversionMinCountrySends: " + strconv.Itoa(l.ConversionMinCountrySends) + " sends  [rule conversion]",
		"ConversionFloor: 0.2 (20 % verified)  [rule conversion]",
	} {
		assert.Contains(t, r.stdout, want)
	}
}

func TestPolicyValueFormats(t *testing.T) {
	assert.Equal(t, "off", duration(-1))
	assert.Equal(t, "1h30m", duration(90*60e9))
	assert.Equal(t, "1m30s", duration(90e9))
	assert.Equal(t, "500ms", duration(5e8))
	assert.Equal(t, "off", rate(verify.Rate{Count: -1, Per: -1}))
	assert.Equal(t, "3 per 10m", rate(verify.Rate{Count: 3, Per: 600e9}))
	assert.Equal(t, "off", count(-1, "sends"))
	assert.Equal(t, "DE, FR", list([]string{"DE", "FR"}, "none"))
}
